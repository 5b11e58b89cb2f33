/**
 * Seeded random numbers for the quality run's data and noise, in plain JavaScript so that every backend (and a
 * worker in another language) can get the very same numbers: seeds derived from names with FNV-1a, a
 * mulberry32 stream, normals by Box-Muller. No `Math.random` anywhere.
 */

/** A 32-bit seed from any mix of numbers and strings (FNV-1a over their text, joined by '/'). */
export function deriveSeed(...parts: ReadonlyArray<number | string>): number {
  let hash = 0x811c9dc5;
  for (const char of parts.join('/')) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export interface Random {
  /** Uniform in [0, 1), 32 bits of resolution. */
  uniform(): number;
  /** Standard normal (Box-Muller; the second value of each pair is used next). */
  normal(): number;
  /** Uniform integer in [0, n). */
  integer(n: number): number;
}

/** A mulberry32 stream (Tommy Ettinger's generator: 32-bit state, passes PractRand to 2^32 outputs). */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  let spare: number | null = null;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal() {
      if (spare !== null) {
        const value = spare;
        spare = null;
        return value;
      }
      const u = 1 - uniform(); // (0, 1]: log(u) is finite
      const v = uniform();
      const radius = Math.sqrt(-2 * Math.log(u));
      spare = radius * Math.sin(2 * Math.PI * v);
      return radius * Math.cos(2 * Math.PI * v);
    },
    integer(n) {
      return Math.floor(uniform() * n);
    },
  };
}

/** A seeded Fisher-Yates permutation of 0..n-1. */
export function permutation(n: number, random: Random): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = random.integer(i + 1);
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}
