// FastCDC (Xia et al., 2016/2020) with normalized chunking, level 1.
//
// Cut rule: a 32-bit Gear hash h = (h << 1) + GEAR[byte] rolls over the bytes after the minimum
// size. Between min and avg a cut needs the top (bits+1) bits of h to be zero (harder), between
// avg and max the top (bits-1) bits (easier); at max we cut unconditionally. That pulls chunk
// sizes towards avg. Top bits are used because after the shift they depend on the last 32
// bytes, so a cut point depends only on nearby content: an edit moves only nearby cuts.
//
// Performance: the loop is monomorphic over a Uint8Array and an Int32Array, allocation-free, and
// processes two bytes per iteration (fewer loop checks); see bench scenario "cdc".
import { GEAR } from "./gear.ts";

export interface CdcParams {
  /** Smallest chunk (except a file's last one), bytes. */
  min: number;
  /** Target average chunk size, bytes; a power of two. */
  avg: number;
  /** Largest chunk, bytes. */
  max: number;
}

/** The predecessor's defaults: 16 KiB / 64 KiB / 256 KiB. */
export const DEFAULT_PARAMS: Readonly<CdcParams> = Object.freeze({ min: 16384, avg: 65536, max: 262144 });

const GEAR_I32 = new Int32Array(GEAR.buffer, GEAR.byteOffset, GEAR.length);

/** Throws a RangeError that says what is wrong with the parameters. */
export function validateParams(p: CdcParams): CdcParams {
  const { min, avg, max } = p;
  for (const [k, v] of Object.entries(p)) {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`chunk ${k} must be a positive integer, got ${v}`);
  }
  if (min < 64) throw new RangeError(`chunk min must be at least 64 bytes, got ${min}`);
  if (!(min <= avg && avg <= max)) throw new RangeError(`chunk sizes must satisfy min <= avg <= max, got ${min}/${avg}/${max}`);
  if ((avg & (avg - 1)) !== 0) throw new RangeError(`chunk avg must be a power of two, got ${avg}`);
  if (max > 1 << 30) throw new RangeError(`chunk max must be at most 1 GiB, got ${max}`);
  return p;
}

/** A mask with the top `ones` bits set, as an int32. */
function topMask(ones: number): number {
  const o = Math.max(1, Math.min(31, ones));
  return (~0 << (32 - o)) | 0;
}

export class FastCdc {
  readonly min: number;
  readonly avg: number;
  readonly max: number;
  private readonly maskS: number;
  private readonly maskL: number;

  constructor(params: CdcParams = DEFAULT_PARAMS) {
    validateParams(params);
    this.min = params.min;
    this.avg = params.avg;
    this.max = params.max;
    const bits = Math.round(Math.log2(params.avg));
    this.maskS = topMask(bits + 1);
    this.maskL = topMask(bits - 1);
  }

  /**
   * Returns the end (exclusive) of the chunk starting at `start`, looking only at src[start, end).
   * The caller must supply at least `max` bytes unless `end` is the end of the input; then the
   * result does not depend on how much more data follows, which makes streaming identical to
   * in-memory chunking.
   */
  cut(src: Uint8Array, start: number, end: number): number {
    const remaining = end - start;
    if (remaining <= this.min) return end;
    const stop = remaining > this.max ? start + this.max : end;
    const normal = remaining > this.avg ? start + this.avg : end;
    const gear = GEAR_I32;
    const maskS = this.maskS;
    const maskL = this.maskL;
    let h = 0;
    let i = start + this.min;
    // Two bytes per iteration; each byte still gets its own test, so cuts are byte-exact.
    const normal1 = normal - 1;
    while (i < normal1) {
      h = ((h << 1) + gear[src[i]]) | 0;
      if ((h & maskS) === 0) return i + 1;
      h = ((h << 1) + gear[src[i + 1]]) | 0;
      if ((h & maskS) === 0) return i + 2;
      i += 2;
    }
    if (i < normal) {
      h = ((h << 1) + gear[src[i]]) | 0;
      if ((h & maskS) === 0) return i + 1;
      i++;
    }
    const stop1 = stop - 1;
    while (i < stop1) {
      h = ((h << 1) + gear[src[i]]) | 0;
      if ((h & maskL) === 0) return i + 1;
      h = ((h << 1) + gear[src[i + 1]]) | 0;
      if ((h & maskL) === 0) return i + 2;
      i += 2;
    }
    if (i < stop) {
      h = ((h << 1) + gear[src[i]]) | 0;
      if ((h & maskL) === 0) return i + 1;
    }
    return stop;
  }
}

/** Chunk end offsets of an in-memory buffer (the last one equals data.length; empty input has none). */
export function cutPoints(data: Uint8Array, params: CdcParams = DEFAULT_PARAMS): number[] {
  const cdc = new FastCdc(params);
  const ends: number[] = [];
  let pos = 0;
  while (pos < data.length) {
    pos = cdc.cut(data, pos, data.length);
    ends.push(pos);
  }
  return ends;
}

/** Reads up to `length` bytes into buf at `offset`; returns 0 only at end of input. */
export type ReadFn = (buf: Uint8Array, offset: number, length: number) => number;

/** Called per chunk; `buf.subarray(at, at + length)` is the chunk's bytes, valid only during the call. */
export type ChunkFn = (offset: number, length: number, buf: Uint8Array, at: number) => void;

/**
 * Streams chunks from `read` through one reused buffer (never the whole input in memory).
 * Cut points are identical to cutPoints() over the same bytes, for any read sizes.
 * Returns the total number of bytes.
 */
export function chunkStream(read: ReadFn, onChunk: ChunkFn, params: CdcParams = DEFAULT_PARAMS, buffer?: Uint8Array): number {
  const cdc = new FastCdc(params);
  const size = Math.max(buffer?.length ?? 0, 2 * cdc.max, 1 << 20);
  const buf = buffer && buffer.length >= size ? buffer : new Uint8Array(size);
  let len = 0; // valid bytes in buf
  let pos = 0; // start of the next chunk in buf
  let base = 0; // input offset of buf[0]
  let eof = false;
  for (;;) {
    if (!eof && len - pos < cdc.max) {
      if (pos > 0) {
        buf.copyWithin(0, pos, len);
        len -= pos;
        base += pos;
        pos = 0;
      }
      while (!eof && len < buf.length) {
        const n = read(buf, len, buf.length - len);
        if (n <= 0) eof = true;
        else len += n;
      }
    }
    if (pos >= len) break;
    const end = cdc.cut(buf, pos, len);
    onChunk(base + pos, end - pos, buf, pos);
    pos = end;
  }
  return base + len;
}
