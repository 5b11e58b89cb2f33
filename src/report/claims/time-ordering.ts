/** The rule that orders two step times: only a difference beyond both margins of error counts. */

/** The part of a timing the ordering rule reads. */
export interface TimeEstimate {
  meanMs: number;
  /** Relative margin of error of the mean, in percent. */
  rmePct: number;
}

export type TimeOrdering = 'faster' | 'slower' | 'indistinguishable';

/**
 * Whether A is faster or slower than B beyond both margins of error: A is faster only when
 * `meanA * (1 + rmeA/100) < meanB * (1 - rmeB/100)`, i.e. A's interval lies wholly below B's; otherwise there is
 * no difference beyond the margin of error. A non-finite margin (one sample) never orders anything.
 */
export function compareTimes(a: TimeEstimate, b: TimeEstimate): TimeOrdering {
  const upper = (t: TimeEstimate) => t.meanMs * (1 + t.rmePct / 100);
  const lower = (t: TimeEstimate) => t.meanMs * (1 - t.rmePct / 100);
  if (upper(a) < lower(b)) return 'faster';
  if (upper(b) < lower(a)) return 'slower';
  return 'indistinguishable';
}
