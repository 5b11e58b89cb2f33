/**
 * Typed arrays on the worker's wire: base64 of their bytes, in the machine's byte order (the worker reads them with
 * torch.frombuffer and writes them with their raw bytes: both ends run on one machine). Exact, and a quarter the
 * size of decimal JSON for float32.
 */

/** base64 of the array's bytes. */
export function encodeArray(values: Float32Array | Int32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

/** The float32 values of a base64 string `encodeArray` (or the worker) wrote; `what` names it in errors. */
export function decodeFloat32(text: string, what: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength % 4 !== 0) throw new Error(`${what}: ${bytes.byteLength} bytes is not a whole number of float32 values`);
  // A copy: Buffer.from may hand back a slice of a shared pool, not aligned for a Float32Array.
  const values = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(values.buffer).set(bytes);
  return values;
}
