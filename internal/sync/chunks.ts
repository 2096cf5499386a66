// Which chunks a destination already holds, and where: the basis for rebuilding changed files
// from bytes that are already there (from any indexed file, so renames and moves cost nothing).
import { CHUNK_ID_BYTES, toHex } from "../hash/index.ts";
import type { FileChunks } from "../manifest/index.ts";

export interface ChunkLocation {
  /** Index into ChunkIndex.files. */
  file: number;
  offset: number;
  length: number;
}

/** A file whose chunks are known: its path (relative to its root) and its chunk list. */
export interface IndexedFile {
  rel: string;
  chunks: FileChunks;
}

export function idHex(ids: Uint8Array, k: number): string {
  return toHex(ids, k * CHUNK_ID_BYTES, CHUNK_ID_BYTES);
}

export function offsetsOf(lengths: ArrayLike<number>): number[] {
  const out = new Array<number>(lengths.length);
  let o = 0;
  for (let i = 0; i < lengths.length; i++) {
    out[i] = o;
    o += lengths[i];
  }
  return out;
}

export class ChunkIndex {
  readonly files: IndexedFile[] = [];
  private readonly byRel = new Map<string, number>();
  private readonly where = new Map<string, ChunkLocation>();

  add(rel: string, chunks: FileChunks): number {
    const file = this.files.length;
    this.files.push({ rel, chunks });
    this.byRel.set(rel, file);
    let offset = 0;
    for (let k = 0; k < chunks.lengths.length; k++) {
      const id = idHex(chunks.ids, k);
      if (!this.where.has(id)) this.where.set(id, { file, offset, length: chunks.lengths[k] });
      offset += chunks.lengths[k];
    }
    return file;
  }

  fileIndex(rel: string): number | undefined {
    return this.byRel.get(rel);
  }

  find(idHexStr: string): ChunkLocation | undefined {
    return this.where.get(idHexStr);
  }

  get size(): number {
    return this.where.size;
  }
}

/** A run of consecutive new chunks nobody has, and the old bytes "at the same place". */
export interface MissingRun {
  first: number;
  count: number;
  /** Offset and length of the run in the new file. */
  offset: number;
  length: number;
  /** Where to look for similar bytes: a range of an indexed file, or null. */
  base: { file: number; offset: number; length: number } | null;
}

export interface FileMatch {
  /** Per new chunk: where the destination has it, or null. */
  have: (ChunkLocation | null)[];
  runs: MissingRun[];
  /** The indexed file used as the base for deltas (same path, else the one sharing most bytes). */
  baseFile: number | null;
  reusedBytes: number;
}

/** Runs longer than this are sent whole: a delta needs both sides in memory. */
export const MAX_DELTA_RUN = 8 << 20;

/**
 * Matches a new file's chunks against the index. Missing chunks are grouped into runs; each run's
 * base is the old file's bytes between the matched neighbours of the run (for a tag edit: the old
 * header chunk), so the delta works even when the edit changed the length.
 */
export function matchFile(index: ChunkIndex, newChunks: FileChunks, samePathFile: number | undefined): FileMatch {
  const n = newChunks.lengths.length;
  const offs = offsetsOf(newChunks.lengths);
  const have: (ChunkLocation | null)[] = new Array(n);
  const shared = new Map<number, number>();
  let reusedBytes = 0;
  for (let k = 0; k < n; k++) {
    const loc = index.find(idHex(newChunks.ids, k)) ?? null;
    have[k] = loc;
    if (loc) {
      reusedBytes += newChunks.lengths[k];
      shared.set(loc.file, (shared.get(loc.file) ?? 0) + newChunks.lengths[k]);
    }
  }
  let baseFile: number | null = samePathFile ?? null;
  if (baseFile === null) {
    let best = 0;
    for (const [f, bytes] of shared) if (bytes > best) [best, baseFile] = [bytes, f];
  }
  // Where each new chunk sits in the base file, when the base file has it (for anchoring runs).
  const inBase: (number | null)[] = new Array(n).fill(null);
  if (baseFile !== null) {
    const b = index.files[baseFile].chunks;
    const bOffs = offsetsOf(b.lengths);
    const pos = new Map<string, number>();
    for (let k = 0; k < b.lengths.length; k++) {
      const id = idHex(b.ids, k);
      if (!pos.has(id)) pos.set(id, bOffs[k]);
    }
    for (let k = 0; k < n; k++) if (have[k]) inBase[k] = pos.get(idHex(newChunks.ids, k)) ?? null;
  }
  const runs: MissingRun[] = [];
  for (let k = 0; k < n; ) {
    if (have[k]) {
      k++;
      continue;
    }
    let e = k;
    while (e < n && !have[e]) e++;
    const offset = offs[k];
    const length = (e < n ? offs[e] : offs[n - 1] + newChunks.lengths[n - 1]) - offset;
    let base: MissingRun["base"] = null;
    if (baseFile !== null && length <= MAX_DELTA_RUN) {
      const bSize = index.files[baseFile].chunks.size;
      const prev = k > 0 ? inBase[k - 1] : 0;
      const start = prev === null ? Math.min(offset, bSize) : k > 0 ? prev + newChunks.lengths[k - 1] : 0;
      const next = e < n ? inBase[e] : bSize;
      let end = next === null ? Math.min(start + length, bSize) : next;
      if (end < start) end = Math.min(start + length, bSize);
      // Bound the base: signatures cost bytes, and a far larger base rarely helps.
      end = Math.min(end, start + 2 * length + (64 << 10), bSize);
      if (end > start) base = { file: baseFile, offset: start, length: end - start };
    }
    runs.push({ first: k, count: e - k, offset, length, base });
    k = e;
  }
  return { have, runs, baseFile, reusedBytes };
}
