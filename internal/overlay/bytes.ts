// Byte helpers: a bounded reader of the original file's head, text decoding, and a writer that
// assembles a header from parts with one allocation.
import { OverlayError } from "./errors.ts";

export type ReadRange = (offset: number, length: number) => Promise<Uint8Array>;

/** First read of a file: one origin round trip covers a typical tag (a cover included). */
export const FIRST_READ = 64 * 1024;
/**
 * Most bytes of an original's head (old tag or metadata blocks) the planner buffers. Covers of a
 * few MiB are common, tens of MiB are not: a bigger claim is refused rather than held in memory
 * for every open file.
 */
export const MAX_HEAD_BYTES = 64 * 1024 * 1024;

/**
 * The original file's bytes from offset 0, fetched on demand. Every request is checked against
 * the file size first, so an absurd size in a header becomes an OverlayError instead of a read
 * past EOF or a huge allocation; the origin's answers are checked for length.
 */
export class Head {
  bytes: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly readRange: ReadRange,
    readonly fileSize: number,
  ) {}

  /** True when bytes [0, end) are already buffered (callers skip the await of need then). */
  has(end: number): boolean {
    return end <= this.bytes.length;
  }

  /** Makes bytes [0, end) available. `what` names the structure for the error message. */
  async need(end: number, what: string): Promise<Uint8Array> {
    if (end <= this.bytes.length) return this.bytes;
    if (end > this.fileSize) throw new OverlayError("truncated", `${what} ends at byte ${end}, past the end of the ${this.fileSize}-byte file`);
    if (end > MAX_HEAD_BYTES) throw new OverlayError("too-large", `${what} ends at byte ${end}: headers over ${MAX_HEAD_BYTES >> 20} MiB are not overlaid`);
    // Read ahead (at least FIRST_READ, at least double) so a walk over many blocks costs few calls.
    const target = Math.min(this.fileSize, MAX_HEAD_BYTES, Math.max(end, FIRST_READ, this.bytes.length * 2));
    const from = this.bytes.length;
    const chunk = await this.read(from, target - from);
    if (from === 0) this.bytes = chunk;
    else {
      const grown = new Uint8Array(target);
      grown.set(this.bytes);
      grown.set(chunk, from);
      this.bytes = grown;
    }
    return this.bytes;
  }

  /** A range anywhere in the file (e.g. the last 128 bytes), from the head when it is already there. */
  async range(offset: number, length: number): Promise<Uint8Array> {
    if (offset + length <= this.bytes.length) return this.bytes.subarray(offset, offset + length);
    return this.read(offset, length);
  }

  private async read(offset: number, length: number): Promise<Uint8Array> {
    let got: Uint8Array;
    try {
      got = await this.readRange(offset, length);
    } catch (e) {
      throw new OverlayError("read-failed", `reading ${length} bytes at ${offset} of the original failed: ${(e as Error)?.message ?? e}`, { cause: e });
    }
    if (!(got instanceof Uint8Array) || got.length < length) {
      throw new OverlayError("truncated", `the origin returned ${got?.length ?? 0} of ${length} bytes at offset ${offset} (file changed or shorter than its size?)`);
    }
    return got.length === length ? got : got.subarray(0, length);
  }
}

// Buffer's slice decoders work on any Uint8Array and on a range of it, without the subarray a
// TextDecoder needs (a subarray costs ~0.2 µs in JavaScriptCore; a tag has dozens of strings).
const { latin1Slice, utf8Slice, ucs2Slice } = Buffer.prototype as unknown as Record<"latin1Slice" | "utf8Slice" | "ucs2Slice", (this: Uint8Array, start: number, end: number) => string>;
const utf16be = new TextDecoder("utf-16be");
export const encoder = new TextEncoder();

export function decodeLatin1(b: Uint8Array, start = 0, end = b.length): string {
  return latin1Slice.call(b, start, end);
}

export function decodeUtf8(b: Uint8Array, start = 0, end = b.length): string {
  return utf8Slice.call(b, start, end);
}

/** ID3 text in encoding 0 (Latin-1), 1 (UTF-16 with BOM), 2 (UTF-16BE), 3 (UTF-8), from b[start, end). */
export function decodeId3Text(encoding: number, b: Uint8Array, start = 0, end = b.length): string {
  switch (encoding) {
    case 0:
      return latin1Slice.call(b, start, end);
    case 1: {
      // A BOM picks the byte order; none (seen in the wild) is read as little-endian. Each value of
      // a list may carry its own BOM: those are dropped when the values are split.
      if (end - start >= 2 && b[start] === 0xfe && b[start + 1] === 0xff) return utf16be.decode(b.subarray(start + 2, end));
      if (end - start >= 2 && b[start] === 0xff && b[start + 1] === 0xfe) start += 2;
      return ucs2Slice.call(b, start, start + ((end - start) & ~1));
    }
    case 2:
      return utf16be.decode(b.subarray(start, end));
    default:
      return utf8Slice.call(b, start, end);
  }
}

/** Length of a NUL terminator in `encoding` (2 for UTF-16). */
export function nulWidth(encoding: number): number {
  return encoding === 1 || encoding === 2 ? 2 : 1;
}

/** Index of the terminator of the string starting at `from` (aligned for UTF-16), or -1. */
export function findNul(b: Uint8Array, from: number, encoding: number): number {
  if (nulWidth(encoding) === 1) return b.indexOf(0, from);
  for (let i = from; i + 1 < b.length; i += 2) if (b[i] === 0 && b[i + 1] === 0) return i;
  return -1;
}

/**
 * A header under construction: one buffer, grown by doubling, written in place (sizes are
 * back-patched), so a tag of dozens of frames costs a handful of allocations.
 */
export class Out {
  buf: Buffer;
  pos = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafeSlow(Math.max(64, capacity));
  }

  private grow(n: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = v;
  }

  bytes(b: Uint8Array): void {
    if (this.pos + b.length > this.buf.length) this.grow(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** UTF-8 of `s` (lone surrogates become U+FFFD, as TextEncoder does). */
  utf8(s: string): void {
    const max = s.length * 3;
    if (this.pos + max > this.buf.length) this.grow(max);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }

  /** Reserves `n` bytes (to back-patch); returns their offset. */
  skip(n: number): number {
    if (this.pos + n > this.buf.length) this.grow(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u32le(v: number, at: number): void {
    this.buf[at] = v & 0xff;
    this.buf[at + 1] = (v >>> 8) & 0xff;
    this.buf[at + 2] = (v >>> 16) & 0xff;
    this.buf[at + 3] = (v >>> 24) & 0xff;
  }

  /** The bytes written (a view of the buffer: no copy). */
  result(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

export function readU32le(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

export function readU32be(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}
