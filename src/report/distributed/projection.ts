/**
 * The link projection (issue 18): from a strategy's measured all-reduce calls and bytes per step and its measured
 * compute, what a step would cost at world size N on links people have. Pure functions, numbers in, numbers out.
 *
 * The model (ring all-reduce, as NCCL and gloo run a large one; Patarasuk and Yuan 2009): each rank sends and
 * receives 2(N-1)/N x B bytes per step and waits 2(N-1) latencies per all-reduce call, so
 *
 *     comm(N) = calls x 2(N-1) x alpha + 2(N-1)/N x B / beta
 *     step(N) = compute + comm(N)          (no overlap of communication with the backward pass: an upper bound)
 *
 * with alpha a link's per-message latency and beta its bandwidth per rank. Weak scaling: every rank computes one
 * world size 1 step on its shard the size of the scenario's batch (the global batch is N x that).
 */

/** A link: its bandwidth per rank in bytes per second and its per-message latency in seconds. */
export interface Link {
  name: string;
  bytesPerSecond: number;
  latencySeconds: number;
}

/**
 * Links people train on. Bandwidths are the vendors' per-GPU figures; latencies are typical orders of magnitude
 * (assumed here, not measured): NVLink 4 (H100, 900 GB/s), InfiniBand NDR (400 Gb/s), 100 Gb/s and 10 Gb/s Ethernet.
 */
export const LINKS: readonly Link[] = [
  { name: 'NVLink (900 GB/s, 3 µs)', bytesPerSecond: 900e9, latencySeconds: 3e-6 },
  { name: 'InfiniBand 400 Gb/s (5 µs)', bytesPerSecond: 50e9, latencySeconds: 5e-6 },
  { name: 'Ethernet 100 Gb/s (20 µs)', bytesPerSecond: 12.5e9, latencySeconds: 20e-6 },
  { name: 'Ethernet 10 Gb/s (50 µs)', bytesPerSecond: 1.25e9, latencySeconds: 50e-6 },
];

export const PROJECTED_WORLD_SIZES = [8, 64, 1024] as const;

/** What one step of a strategy puts on the wire, per rank (from its measured cell). */
export interface StepTraffic {
  allreduceCalls: number;
  allreduceBytes: number;
}

/** The ring model's communication milliseconds per step at world size N on a link (comm(N) above). */
export function ringCommMs({ allreduceCalls, allreduceBytes }: StepTraffic, worldSize: number, link: Pick<Link, 'bytesPerSecond' | 'latencySeconds'>): number {
  if (worldSize <= 1) return 0;
  const hops = 2 * (worldSize - 1);
  const seconds = allreduceCalls * hops * link.latencySeconds + ((hops / worldSize) * allreduceBytes) / link.bytesPerSecond;
  return seconds * 1000;
}

/** step(N) above: compute plus the ring's communication, milliseconds. */
export function projectedStepMs(computeMs: number, traffic: StepTraffic, worldSize: number, link: Link): number {
  return computeMs + ringCommMs(traffic, worldSize, link);
}

/** One measured cell for the fit: its traffic and its measured milliseconds in communication per step. */
export interface MeasuredComm extends StepTraffic {
  commMs: number;
}

/** A link's alpha and beta fitted to measurements, and the model's prediction for each measurement. */
export interface FittedLink {
  latencySeconds: number;
  bytesPerSecond: number;
  predictedMs: number[];
}

/**
 * Fits the ring model's alpha and 1/beta to measured comm_ms at one world size by least squares (no intercept):
 * commMs = a x [calls x 2(N-1)] + b x [2(N-1)/N x bytes], a = alpha in ms, b = ms per byte. Where the
 * measurements cannot tell a from b (fewer than two distinct points, or one comes out negative), b alone with
 * a = 0; null where nothing was communicated.
 */
export function fitRingModel(measured: readonly MeasuredComm[], worldSize: number): FittedLink | null {
  const hops = 2 * (worldSize - 1);
  const rows = measured.filter((cell) => cell.allreduceCalls > 0);
  const x1 = rows.map((cell) => cell.allreduceCalls * hops);
  const x2 = rows.map((cell) => (hops / worldSize) * cell.allreduceBytes);
  const y = rows.map((cell) => cell.commMs);
  const dot = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);
  const s11 = dot(x1, x1);
  const s12 = dot(x1, x2);
  const s22 = dot(x2, x2);
  const determinant = s11 * s22 - s12 * s12;
  let a = 0;
  let b = 0;
  if (rows.length >= 2 && Math.abs(determinant) > 1e-12 * s11 * s22) {
    a = (dot(x1, y) * s22 - dot(x2, y) * s12) / determinant;
    b = (dot(x2, y) * s11 - dot(x1, y) * s12) / determinant;
  }
  // Where the two cannot be told apart (or one comes out negative): bandwidth alone, alpha = 0.
  if (!(a > 0) || !(b > 0)) [a, b] = [0, s22 > 0 ? dot(x2, y) / s22 : 0];
  if (!(b > 0)) return null;
  const link = { latencySeconds: a / 1000, bytesPerSecond: 1 / (b / 1000) };
  return { ...link, predictedMs: measured.map((cell) => ringCommMs(cell, worldSize, link)) };
}
