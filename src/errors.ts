/** The one way the harness turns a thrown value into the text a cell, a log line or an error message shows. */

/** An error's message, or the thrown value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
