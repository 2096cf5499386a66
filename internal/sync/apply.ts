// Writes a file whose every chunk is already on this machine (in files of the root, or staged):
// the last step of a push on the server and of a pull on the client.
import * as path from "node:path";
import type { FileChunks } from "../manifest/index.ts";
import { commitTemp } from "./atomic.ts";
import { buildTemp, type FdCache, type Segment } from "./build.ts";
import { idHex, type ChunkIndex } from "./chunks.ts";
import { ensureParentDir } from "./paths.ts";

export class MissingChunksError extends Error {
  override name = "MissingChunksError";
  constructor(
    readonly rel: string,
    readonly missing: number,
  ) {
    super(`${rel}: ${missing} chunks are not available (send them again)`);
  }
}

export interface FileMetaLite {
  size: number;
  mode: number;
  mtimeMs: number;
}

/** Segments for a file from the index only; throws MissingChunksError if any chunk is absent. */
export function segmentsFromIndex(root: string, rel: string, chunks: FileChunks, index: ChunkIndex): Segment[] {
  const out: Segment[] = [];
  let missing = 0;
  for (let k = 0; k < chunks.lengths.length; k++) {
    const loc = index.find(idHex(chunks.ids, k));
    if (!loc) {
      missing++;
      continue;
    }
    const file = path.join(root, index.files[loc.file].rel);
    const last = out[out.length - 1];
    if (last && last.file === file && last.offset + last.length === loc.offset) last.length += loc.length;
    else out.push({ file, offset: loc.offset, length: loc.length });
  }
  if (missing > 0) throw new MissingChunksError(rel, missing);
  return out;
}

/** Builds root/rel from local chunks (each verified) and renames it into place. */
export function applyFromIndex(root: string, rel: string, meta: FileMetaLite, chunks: FileChunks, index: ChunkIndex, fds: FdCache): void {
  const segments = segmentsFromIndex(root, rel, chunks, index);
  const dir = ensureParentDir(root, rel);
  const built = buildTemp({ dir, size: meta.size, mode: meta.mode, mtimeMs: meta.mtimeMs, lengths: chunks.lengths, ids: chunks.ids, segments, fds, source: null });
  commitTemp(built.tmp, path.join(root, rel));
}
