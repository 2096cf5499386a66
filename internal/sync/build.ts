// Builds one file in a temp file from pieces (ranges of files the destination already has, and
// bytes from the source), verifying every chunk's SHA-256 as it is assembled, so a destination
// file that changed under us or a source that changed since it was chunked can never produce a
// wrong file. Streams chunk by chunk: memory is bounded by the largest chunk plus a write buffer,
// whatever the file size (> 4 GiB included).
import * as fs from "node:fs";
import { CHUNK_ID_BYTES, chunkIdInto } from "../hash/index.ts";
import { tempNameIn } from "./atomic.ts";

/** A range of the new file's bytes: from a file on this machine, or (file null) from the source. */
export interface Segment {
  file: string | null;
  offset: number;
  length: number;
}

/** Reads source bytes [offset, offset + length) into buf at `at`; throws if they are not there. */
export type SourceReader = (offset: number, length: number, buf: Uint8Array, at: number) => void;

export class ChunkMismatchError extends Error {
  override name = "ChunkMismatchError";
  constructor(readonly chunk: number) {
    super(`chunk ${chunk} does not match its SHA-256 (its bytes changed while syncing)`);
  }
}

/** Keeps files open for the whole run: a source file that gets replaced stays readable by fd. */
export class FdCache {
  private readonly fds = new Map<string, number>();
  get(file: string): number {
    let fd = this.fds.get(file);
    if (fd === undefined) {
      fd = fs.openSync(file, "r");
      this.fds.set(file, fd);
    }
    return fd;
  }
  /** Opens now, if possible; used before files that are also targets get replaced. */
  preopen(file: string): void {
    try {
      this.get(file);
    } catch {
      // It will fail again, with a proper error, when read.
    }
  }
  closeAll(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
  }
}

export function preadFull(fd: number, buf: Uint8Array, at: number, length: number, position: number): void {
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, buf, at + got, length - got, position + got);
    if (n === 0) throw new Error(`short read: expected ${length} bytes at ${position}`);
    got += n;
  }
}

function writeFull(fd: number, buf: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) done += fs.writeSync(fd, buf, done, length - done, position + done);
}

export interface BuildSpec {
  /** Folder of the target: the temp file goes there. */
  dir: string;
  size: number;
  mode: number;
  mtimeMs: number;
  lengths: ArrayLike<number>;
  ids: Uint8Array;
  segments: Segment[];
  fds: FdCache;
  /** Reads source bytes (segments with file null, and fallback when a local chunk is stale). */
  source: SourceReader | null;
  onBytes?: (n: number) => void;
}

export interface BuildResult {
  tmp: string;
  /** Bytes read from the source, fallbacks included. */
  sourceBytes: number;
}

const WRITE_BUFFER = 4 << 20;

/** Writes, verifies, chmods, timestamps and fsyncs a temp file; the caller renames it into place. */
export function buildTemp(spec: BuildSpec): BuildResult {
  const tmp = tempNameIn(spec.dir);
  const fd = fs.openSync(tmp, "wx", 0o600);
  try {
    const sourceBytes = fillChunks(fd, spec);
    fs.fchmodSync(fd, spec.mode);
    fs.futimesSync(fd, spec.mtimeMs / 1000, spec.mtimeMs / 1000);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    return { tmp, sourceBytes };
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {}
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

function fillChunks(fd: number, spec: BuildSpec): number {
  let maxChunk = 0;
  for (let k = 0; k < spec.lengths.length; k++) maxChunk = Math.max(maxChunk, spec.lengths[k]);
  const out = new Uint8Array(Math.max(WRITE_BUFFER, maxChunk));
  const id = new Uint8Array(CHUNK_ID_BYTES);
  let outLen = 0; // bytes waiting in `out`
  let outPos = 0; // file offset of out[0]
  let seg = 0;
  let segUsed = 0; // bytes of segments[seg] already consumed
  let fileOff = 0;
  let sourceBytes = 0;
  for (let k = 0; k < spec.lengths.length; k++) {
    const len = spec.lengths[k];
    if (outLen + len > out.length) {
      writeFull(fd, out, outLen, outPos);
      outPos += outLen;
      outLen = 0;
    }
    // Fill out[outLen, outLen + len) from the segments.
    let filled = 0;
    let fromSource = 0;
    while (filled < len) {
      const s = spec.segments[seg];
      if (!s) throw new Error("segments end before the file does");
      const take = Math.min(s.length - segUsed, len - filled);
      if (s.file === null) {
        if (!spec.source) throw new Error("no source for literal bytes");
        spec.source(s.offset + segUsed, take, out, outLen + filled);
        fromSource += take;
      } else preadFull(spec.fds.get(s.file), out, outLen + filled, take, s.offset + segUsed);
      filled += take;
      segUsed += take;
      if (segUsed === s.length) {
        seg++;
        segUsed = 0;
      }
    }
    const chunk = out.subarray(outLen, outLen + len);
    const expect = spec.ids.subarray(k * CHUNK_ID_BYTES, (k + 1) * CHUNK_ID_BYTES);
    if (!equal(chunkIdInto(chunk, id), expect)) {
      // A local piece went stale (a destination file changed); the source still has the chunk.
      if (!spec.source || fromSource === len) throw new ChunkMismatchError(k);
      spec.source(fileOff, len, out, outLen);
      fromSource = len;
      if (!equal(chunkIdInto(chunk, id), expect)) throw new ChunkMismatchError(k);
    }
    sourceBytes += fromSource;
    outLen += len;
    fileOff += len;
    spec.onBytes?.(len);
  }
  if (outLen > 0) writeFull(fd, out, outLen, outPos);
  if (fileOff !== spec.size) throw new Error(`built ${fileOff} bytes, expected ${spec.size}`);
  return sourceBytes;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
