// Options and the statistics a sync reports (the --json output; schema bumps on breaking changes).
import type { CdcParams } from "../cdc/fastcdc.ts";

export interface SyncOptions {
  /** Remove destination files that the source does not have (never excluded or musicfs-internal ones). */
  delete?: boolean;
  /** Plan and count bytes, touch nothing. */
  dryRun?: boolean;
  /** Compare content (chunk IDs) instead of size + mtime. */
  checksum?: boolean;
  /** Glob patterns (Bun.Glob) for paths or base names to leave out, on both sides. */
  exclude?: string[];
  params?: CdcParams;
  /**
   * Index every destination file for reuse, not only the old versions of changed files, files the
   * source no longer has and same-size files (default false: that would read the whole destination).
   */
  indexAll?: boolean;
  /** Send changed chunks as sub-chunk deltas when smaller (default true). */
  delta?: boolean;
  /** Attempts per file when its source changes while being copied (default 3). */
  attempts?: number;
  /** Bytes written so far of the bytes to write, and the file being written. */
  onProgress?: (done: number, total: number, path: string) => void;
}

export type FileAction = "new" | "changed" | "symlink" | "delete" | "metadata";

export interface PlannedFile {
  path: string;
  action: FileAction;
  /** Size of the new file (0 for deletes and symlinks). */
  bytes: number;
  /** Bytes rebuilt from what the destination already has. */
  reused: number;
  /** Bytes that must come from the source. */
  literal: number;
}

export interface SyncStats {
  schema: 1;
  src: string;
  dst: string;
  dryRun: boolean;
  files: {
    /** Files and symlinks in the source (after excludes). */
    total: number;
    unchanged: number;
    changed: number;
    new: number;
    deleted: number;
    /** Symlinks created or replaced (also counted in new/changed). */
    symlinks: number;
    /** Mode or mtime fixed without rewriting content. */
    metadataOnly: number;
    /** Files that could not be synced (see errors). */
    failed: number;
  };
  bytes: {
    /** Bytes of all source files. */
    total: number;
    /** Bytes of the files written (or to be written, in a dry run). */
    written: number;
    /** Of those, bytes rebuilt from chunks the destination already had. */
    reused: number;
    /** Bytes that had to come from the source ("literal data"; on a remote sync, before compression). */
    literal: number;
    /** What moved between the two sides: literal bytes locally, bytes on the wire for a remote sync. */
    moved: number;
  };
  /** Remote syncs only: bytes this client sent and received (HTTP/2 bodies: protobuf messages). */
  wire?: { sent: number; received: number };
  /** total / moved, as rsync reports it (total when nothing moved). */
  speedup: number;
  /** Temp files of earlier, interrupted runs that were removed. */
  straysRemoved: number;
  seconds: number;
  /** The planned (or done) file operations. */
  plan: PlannedFile[];
  errors: { path: string; error: string }[];
}

export function emptyStats(src: string, dst: string, dryRun: boolean): SyncStats {
  return {
    schema: 1,
    src,
    dst,
    dryRun,
    files: { total: 0, unchanged: 0, changed: 0, new: 0, deleted: 0, symlinks: 0, metadataOnly: 0, failed: 0 },
    bytes: { total: 0, written: 0, reused: 0, literal: 0, moved: 0 },
    speedup: 0,
    straysRemoved: 0,
    seconds: 0,
    plan: [],
    errors: [],
  };
}

export function finishStats(s: SyncStats, started: number): SyncStats {
  s.seconds = (performance.now() - started) / 1000;
  s.speedup = s.bytes.moved > 0 ? s.bytes.total / s.bytes.moved : s.bytes.total;
  return s;
}
