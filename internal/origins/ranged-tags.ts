// Reading tags of remote files with ranged reads instead of whole downloads.
// - rangeBlob(): a Blob look-alike (size, type, slice().arrayBuffer()) over ranged reads, with a
//   small block cache so a parser's many tiny reads (10-byte headers, frame by frame) cost one
//   round trip per 64 KiB, not one each. music-metadata's parseBlob() gives it to strtok3's
//   BlobTokenizer, which only uses those three members and reads at random positions, so ID3v1/APE
//   at the tail are read from the tail, not by streaming the whole file.
// - readHeadTail(): the first and last N bytes in two reads.
// - originFingerprint(): the catalog's fingerprint (xxHash3 of head 64 KiB + tail 64 KiB + size)
//   over ranged reads, so copies found on remote origins match catalog rows.
import { type IAudioMetadata, type IOptions, parseBlob } from "music-metadata";
import type { Origin } from "./types.ts";

export type RangeRead = (offset: number, length: number) => Promise<Uint8Array>;

const MIME_BY_EXT: Record<string, string> = {
  mp3: "audio/mpeg", flac: "audio/flac", ogg: "audio/ogg", opus: "audio/ogg", oga: "audio/ogg", m4a: "audio/mp4",
  mp4: "audio/mp4", aac: "audio/aac", wav: "audio/wav", aif: "audio/aiff", aiff: "audio/aiff", wma: "audio/x-ms-wma",
  ape: "audio/ape", wv: "audio/wavpack", mpc: "audio/musepack", dsf: "audio/dsf",
};

export function mimeOf(path: string): string {
  return MIME_BY_EXT[path.slice(path.lastIndexOf(".") + 1).toLowerCase()] ?? "";
}

export interface RangeBlobStats {
  requests: number;
  bytesFetched: number;
}

export interface RangeBlob {
  readonly size: number;
  readonly type: string;
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
  readonly stats: RangeBlobStats;
}

/** A Blob-like view of `size` bytes read through `read`, cached in `blockSize` blocks (LRU, `maxBlocks`). */
export function rangeBlob(read: RangeRead, size: number, type = "", blockSize = 64 * 1024, maxBlocks = 64): RangeBlob {
  const blocks = new Map<number, Promise<Uint8Array>>();
  const stats: RangeBlobStats = { requests: 0, bytesFetched: 0 };
  const block = (i: number): Promise<Uint8Array> => {
    let p = blocks.get(i);
    if (p) {
      blocks.delete(i);
      blocks.set(i, p);
      return p;
    }
    stats.requests++;
    p = read(i * blockSize, Math.min(blockSize, size - i * blockSize)).then((b) => {
      stats.bytesFetched += b.length;
      return b;
    });
    p.catch(() => blocks.delete(i));
    blocks.set(i, p);
    while (blocks.size > maxBlocks) blocks.delete(blocks.keys().next().value!);
    return p;
  };
  const readRange = async (start: number, end: number): Promise<ArrayBuffer> => {
    const s = Math.max(0, Math.min(size, start));
    const e = Math.max(s, Math.min(size, end));
    const out = new Uint8Array(e - s);
    if (e === s) return out.buffer;
    const first = Math.floor(s / blockSize);
    const last = Math.floor((e - 1) / blockSize);
    const parts = await Promise.all(Array.from({ length: last - first + 1 }, (_, k) => block(first + k)));
    parts.forEach((b, k) => {
      const bs = (first + k) * blockSize;
      const from = Math.max(s, bs);
      const to = Math.min(e, bs + b.length);
      if (to > from) out.set(b.subarray(from - bs, to - bs), from - s);
    });
    return out.buffer;
  };
  return {
    size, type, stats,
    slice: (start = 0, end = size) => ({ arrayBuffer: () => readRange(start, end) }),
  };
}

/** Tags (and format) of a file on any origin, read by ranges. Duration scans are off by default. */
export async function parseRemoteTags(origin: Origin, path: string, size?: number, options: IOptions = {}): Promise<{ metadata: IAudioMetadata; stats: RangeBlobStats }> {
  const n = size ?? (await origin.stat(path)).size;
  const blob = rangeBlob((o, l) => origin.read(path, o, l), n, mimeOf(path));
  // parseBlob only touches size, type and slice(); the cast documents that contract.
  const metadata = await parseBlob(blob as unknown as Blob, { duration: false, skipCovers: false, ...options });
  return { metadata, stats: blob.stats };
}

/** First and last `span` bytes (overlapping for small files), in at most two reads. */
export async function readHeadTail(origin: Origin, path: string, size: number, span = 64 * 1024): Promise<{ head: Uint8Array; tail: Uint8Array }> {
  const head = await origin.read(path, 0, Math.min(size, span));
  if (size <= span) return { head, tail: head };
  const tail = await origin.read(path, size - span, span);
  return { head, tail };
}

export const FINGERPRINT_SPAN = 64 * 1024;

/** The catalog's fingerprint of a file on any origin (see internal/catalog/fingerprint.ts). */
export async function originFingerprint(origin: Origin, path: string, size: number): Promise<string> {
  const head = await origin.read(path, 0, Math.min(size, FINGERPRINT_SPAN));
  let tail: Uint8Array = new Uint8Array(0);
  if (size > FINGERPRINT_SPAN) {
    const tailStart = Math.max(FINGERPRINT_SPAN, size - FINGERPRINT_SPAN);
    tail = await origin.read(path, tailStart, size - tailStart);
  }
  const buf = new Uint8Array(head.length + tail.length + 8);
  buf.set(head, 0);
  buf.set(tail, head.length);
  new DataView(buf.buffer).setFloat64(head.length + tail.length, size, true);
  return Bun.hash.xxHash3(buf).toString(16).padStart(16, "0");
}
