/** Seeded RNG (xoshiro128** + Box–Muller) so samples and headless runs are reproducible on every backend. */

export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Standard normal sample. */
  normal(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Fill a new Float32Array of `n` standard normals. */
  normals(n: number): Float32Array;
  /** Serializable state, for checkpoints. */
  state(): number[];
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Creates an RNG from an integer seed, or restores one from `state()`. */
export function createRng(seedOrState: number | number[]): Rng {
  let s: Uint32Array;
  if (Array.isArray(seedOrState)) {
    if (seedOrState.length !== 4) throw new Error(`RNG state must have 4 words, got ${seedOrState.length}`);
    s = Uint32Array.from(seedOrState);
  } else {
    const sm = splitmix32(seedOrState);
    s = Uint32Array.from([sm(), sm(), sm(), sm()]);
  }
  const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
  const next = () => nextU32() / 4294967296;
  const normal = () => {
    // Box–Muller; u1 in (0, 1] so the log is finite.
    const u1 = 1 - next();
    const u2 = next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
  return {
    next,
    normal,
    int: (n) => Math.floor(next() * n),
    normals: (n) => {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = normal();
      return out;
    },
    state: () => Array.from(s),
  };
}

/** Fisher–Yates shuffle of a copy of `xs`. */
export function shuffled<T>(xs: readonly T[], rng: Rng): T[] {
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
