// Ranged reads of the original file, checked: every request lies inside the file (sizes come from
// untrusted headers), the answer has the asked length, and failures become CoverError so the
// caller sees one error type.
import { CoverError } from "./errors.ts";

/** Reads `length` bytes at `offset` of the original file (the same contract as the overlay's). */
export type ReadRange = (offset: number, length: number) => Promise<Uint8Array>;

/** Exactly [offset, offset + length) of a `fileSize`-byte file. `what` names it in errors. */
export async function readExact(readRange: ReadRange, fileSize: number, offset: number, length: number, what: string): Promise<Uint8Array> {
  if (offset + length > fileSize) {
    throw new CoverError("malformed", `${what} ends at byte ${offset + length}, past the end of the ${fileSize}-byte file (cut off?)`);
  }
  if (length === 0) return new Uint8Array(0);
  let got: Uint8Array;
  try {
    got = await readRange(offset, length);
  } catch (e) {
    throw new CoverError("read-failed", `reading ${length} bytes at ${offset} failed: ${(e as Error)?.message ?? e}`, { cause: e });
  }
  if (!(got instanceof Uint8Array) || got.length < length) {
    throw new CoverError("read-failed", `the origin returned ${got?.length ?? 0} of ${length} bytes at ${offset} (file changed?)`);
  }
  return got.length === length ? got : got.subarray(0, length);
}

/** Bytes of a region addressed from 0 (an ID3 tag body), from memory or by ranged reads. */
export interface ByteSource {
  /** Size of the region: no request goes past it. */
  readonly end: number;
  get(pos: number, length: number): Promise<Uint8Array>;
  /** A few bytes to look at, read without replacing the window (the walk goes on where it was). */
  peek(pos: number, length: number): Promise<Uint8Array>;
}

/** A request past a region's end is a size in the tag that lies: malformed. */
function checkInside(pos: number, length: number, end: number, what: string): void {
  if (pos < 0 || pos + length > end) throw new CoverError("malformed", `${what}: ${length} bytes at ${pos} run past its end (${end})`);
}

export function memorySource(bytes: Uint8Array, what: string): ByteSource {
  const get = async (pos: number, length: number) => {
    checkInside(pos, length, bytes.length, what);
    return bytes.subarray(pos, pos + length);
  };
  return { end: bytes.length, get, peek: get };
}

const WINDOW = 64 * 1024;

/**
 * The file region [base, base + end) read through a window of up to 64 KiB, cut at the region's
 * end, so a walk over many small frame headers costs a few reads and never reads past the tag.
 * A request that starts in the window and goes on past it (a picture) reads only the rest.
 */
export function windowSource(readRange: ReadRange, fileSize: number, base: number, end: number, what: string): ByteSource {
  let window: Uint8Array = new Uint8Array(0);
  let windowPos = 0;
  return {
    end,
    async get(pos, length) {
      checkInside(pos, length, end, what);
      const inWindow = pos - windowPos;
      if (inWindow >= 0 && inWindow + length <= window.length) return window.subarray(inWindow, inWindow + length);
      if (inWindow >= 0 && inWindow < window.length) {
        const have = window.subarray(inWindow);
        const out = new Uint8Array(length);
        out.set(have);
        out.set(await readExact(readRange, fileSize, base + pos + have.length, length - have.length, what), have.length);
        return out;
      }
      if (length >= WINDOW) return readExact(readRange, fileSize, base + pos, length, what);
      window = await readExact(readRange, fileSize, base + pos, Math.min(WINDOW, end - pos), what);
      windowPos = pos;
      return window.subarray(0, length);
    },
    async peek(pos, length) {
      checkInside(pos, length, end, what);
      const inWindow = pos - windowPos;
      if (inWindow >= 0 && inWindow + length <= window.length) return window.subarray(inWindow, inWindow + length);
      return readExact(readRange, fileSize, base + pos, length, what);
    },
  };
}
