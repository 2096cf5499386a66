// Chunk-level difference between two files or two folders: which bytes of NEW can be rebuilt
// from chunks that OLD already has (anywhere in OLD, as sync would), which are new, and which
// files were added, removed or renamed (renames found by shared content, not by name).
import * as fs from "node:fs";
import * as path from "node:path";
import type { CdcParams } from "../cdc/fastcdc.ts";
import { CHUNK_ID_BYTES, toHex } from "../hash/index.ts";
import { chunkFiles, FileChunkError, walkTree, type FileChunks } from "../manifest/index.ts";

export type DiffStatus = "unchanged" | "modified" | "added" | "removed" | "renamed";

export interface DiffFile {
  status: DiffStatus;
  /** Path relative to the NEW side (the OLD side for removed files). */
  path: string;
  /** For renamed files: the OLD path it came from. */
  from?: string;
  oldBytes: number;
  newBytes: number;
  chunks: number;
  reusedChunks: number;
  reusedBytes: number;
  /** Bytes of NEW not found in any OLD chunk: what a sync must move. */
  literalBytes: number;
  reusePercent: number;
}

export interface DiffReport {
  schema: 1;
  params: CdcParams;
  old: string;
  new: string;
  files: DiffFile[];
  errors: { path: string; error: string; code?: string }[];
  total: {
    files: number;
    unchanged: number;
    modified: number;
    added: number;
    removed: number;
    renamed: number;
    /** Bytes of NEW. */
    bytes: number;
    chunks: number;
    reusedChunks: number;
    reusedBytes: number;
    literalBytes: number;
    reusePercent: number;
    seconds: number;
  };
}

interface Side {
  rels: string[];
  abs: string[];
  sizes: number[];
  chunks: (FileChunks | null)[];
}

/** A share of a rename candidate must be at least this much of the new file to count as a rename. */
const RENAME_MIN_SHARED = 0.5;

async function loadSide(root: string, isFilePair: boolean, params: CdcParams, errors: DiffReport["errors"]): Promise<Side> {
  const walked = walkTree(root);
  for (const p of walked.problems) errors.push({ path: p.path, error: p.error });
  const files = walked.files.filter((f) => f.kind === "file");
  const rels = files.map((f) => (isFilePair ? "" : f.rel));
  const abs = files.map((f) => f.abs);
  const sizes = files.map((f) => f.size);
  const results = await chunkFiles(abs, sizes, { params, withIds: true });
  const chunks = results.map((r, i) => {
    if (r instanceof FileChunkError) {
      errors.push({ path: abs[i], error: r.message, code: r.code });
      return null;
    }
    return r;
  });
  return { rels, abs, sizes, chunks };
}

function idAt(c: FileChunks, k: number): string {
  return toHex(c.ids, k * CHUNK_ID_BYTES, CHUNK_ID_BYTES);
}

export async function diffPaths(oldRoot: string, newRoot: string, params: CdcParams): Promise<DiffReport> {
  const started = performance.now();
  const errors: DiffReport["errors"] = [];
  const oldIsFile = fs.statSync(oldRoot).isFile();
  const newIsFile = fs.statSync(newRoot).isFile();
  if (oldIsFile !== newIsFile) throw new Error(`cannot diff a file against a folder: ${oldIsFile ? oldRoot : newRoot} is a file, ${oldIsFile ? newRoot : oldRoot} is not`);
  const filePair = oldIsFile;
  const oldSide = await loadSide(oldRoot, filePair, params, errors);
  const newSide = await loadSide(newRoot, filePair, params, errors);

  // Every chunk OLD has, and which OLD files hold it (for rename detection).
  const oldOwners = new Map<string, number[]>();
  oldSide.chunks.forEach((c, fi) => {
    if (!c) return;
    for (let k = 0; k < c.lengths.length; k++) {
      const id = idAt(c, k);
      const owners = oldOwners.get(id);
      if (!owners) oldOwners.set(id, [fi]);
      else if (owners[owners.length - 1] !== fi) owners.push(fi);
    }
  });
  const oldIndex = new Map(oldSide.rels.map((r, i) => [r, i]));
  const newRels = new Set(newSide.rels);
  const oldOnly = new Set(oldSide.rels.map((_, i) => i).filter((i) => !newRels.has(oldSide.rels[i]) && oldSide.chunks[i]));

  const files: DiffFile[] = [];
  const renameCandidates: { newIdx: number; oldIdx: number; shared: number }[] = [];
  const perNew = new Map<number, DiffFile>();
  newSide.chunks.forEach((c, ni) => {
    if (!c) return;
    let reusedChunks = 0;
    let reusedBytes = 0;
    const sharedWith = new Map<number, number>();
    for (let k = 0; k < c.lengths.length; k++) {
      const owners = oldOwners.get(idAt(c, k));
      if (!owners) continue;
      reusedChunks++;
      reusedBytes += c.lengths[k];
      for (const o of owners) if (oldOnly.has(o)) sharedWith.set(o, (sharedWith.get(o) ?? 0) + c.lengths[k]);
    }
    const rel = newSide.rels[ni];
    const oi = oldIndex.get(rel);
    let status: DiffStatus;
    if (oi === undefined) {
      status = "added";
      for (const [o, shared] of sharedWith) if (shared >= RENAME_MIN_SHARED * c.size) renameCandidates.push({ newIdx: ni, oldIdx: o, shared });
    } else status = sameContent(oldSide.chunks[oi], c) ? "unchanged" : "modified";
    const f: DiffFile = {
      status,
      path: rel || path.basename(newRoot),
      oldBytes: oi === undefined ? 0 : oldSide.sizes[oi],
      newBytes: c.size,
      chunks: c.lengths.length,
      reusedChunks,
      reusedBytes,
      literalBytes: c.size - reusedBytes,
      reusePercent: c.size === 0 ? 100 : (100 * reusedBytes) / c.size,
    };
    perNew.set(ni, f);
    files.push(f);
  });

  // Greedy: the pairs sharing the most bytes become renames; each OLD file is used once.
  renameCandidates.sort((a, b) => b.shared - a.shared);
  const usedOld = new Set<number>();
  for (const cand of renameCandidates) {
    const f = perNew.get(cand.newIdx)!;
    if (f.status !== "added" || usedOld.has(cand.oldIdx)) continue;
    usedOld.add(cand.oldIdx);
    f.status = "renamed";
    f.from = oldSide.rels[cand.oldIdx];
    f.oldBytes = oldSide.sizes[cand.oldIdx];
  }
  for (const oi of oldOnly) {
    if (usedOld.has(oi)) continue;
    const c = oldSide.chunks[oi]!;
    files.push({ status: "removed", path: oldSide.rels[oi], oldBytes: c.size, newBytes: 0, chunks: 0, reusedChunks: 0, reusedBytes: 0, literalBytes: 0, reusePercent: 0 });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const count = (s: DiffStatus) => files.filter((f) => f.status === s).length;
  const present = files.filter((f) => f.status !== "removed");
  const bytes = present.reduce((a, f) => a + f.newBytes, 0);
  const reusedBytes = present.reduce((a, f) => a + f.reusedBytes, 0);
  return {
    schema: 1,
    params: { ...params },
    old: oldRoot,
    new: newRoot,
    files,
    errors,
    total: {
      files: present.length,
      unchanged: count("unchanged"),
      modified: count("modified"),
      added: count("added"),
      removed: count("removed"),
      renamed: count("renamed"),
      bytes,
      chunks: present.reduce((a, f) => a + f.chunks, 0),
      reusedChunks: present.reduce((a, f) => a + f.reusedChunks, 0),
      reusedBytes,
      literalBytes: bytes - reusedBytes,
      reusePercent: bytes === 0 ? 100 : (100 * reusedBytes) / bytes,
      seconds: (performance.now() - started) / 1000,
    },
  };
}

function sameContent(a: FileChunks | null, b: FileChunks): boolean {
  if (!a || a.size !== b.size || a.ids.length !== b.ids.length) return false;
  for (let i = 0; i < a.ids.length; i++) if (a.ids[i] !== b.ids[i]) return false;
  return true;
}
