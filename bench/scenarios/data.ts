// Deterministic test data for the scenarios, generated once per run (not timed).

/**
 * The predecessor's LCG bytes: state = state * 6364136223846793005 + 1 mod 2^64 (seed 12345),
 * byte = state >> 56. Computed exactly on two 32-bit halves instead of BigInt: ~20x faster,
 * which keeps `bench --quick` setup short. test/bench checks it against the BigInt definition.
 */
export function lcgBytes(n: number, seed = 12345n): Uint8Array {
  const out = new Uint8Array(n);
  let hi = Number((seed >> 32n) & 0xffffffffn);
  let lo = Number(seed & 0xffffffffn);
  const aHi = 0x5851f42d;
  const aLo = 0x4c957f2d;
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  for (let i = 0; i < n; i++) {
    // Full 64-bit product lo * aLo from 16-bit limbs (every partial product stays below 2^32).
    const l0 = lo & 0xffff;
    const l1 = lo >>> 16;
    const p00 = l0 * a0;
    const p01 = l0 * a1;
    const p10 = l1 * a0;
    const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    const pLo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
    const pHi = l1 * a1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
    // The cross terms only reach the high half, so 32-bit wrapping multiplies are exact there.
    const cross = Math.imul(hi, aLo) + Math.imul(lo, aHi);
    const nLo = pLo + 1;
    lo = nLo >>> 0;
    hi = (pHi + cross + (nLo > 0xffffffff ? 1 : 0)) >>> 0;
    out[i] = hi >>> 24;
  }
  return out;
}

/** Fills `buf` with xorshift32 output from `state`; returns the next state. Fast pseudo-random bulk data. */
export function fillPseudoRandom(buf: Uint8Array, state: number): number {
  const words = new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2);
  let x = state | 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  return x;
}

/** Throughput in MB/s (decimal, as the predecessor's reports) of `bytes` in `ns` nanoseconds. */
export function mbPerSecond(bytes: number, ns: number): number {
  return bytes / (ns / 1e9) / 1e6;
}

export const MiB = 1 << 20;
