// Scanning folders into the catalog: walk, skip unchanged (size + mtime), read the rest in a pool
// of worker threads (or on this thread for a few files), write in batched transactions while the
// workers go on, detect moves by fingerprint, remove files that vanished from roots that were
// read completely.
import type { Database } from "bun:sqlite";
import * as path from "node:path";
import { readFileFacts, type FileFacts } from "./read-tags.ts";
import { defaultTagWorkers, readFactsInWorkers } from "./tag-pool.ts";
import { TrackWriter, type TrackInput } from "./track.ts";
import { walkAudio, type FoundFile } from "./walk.ts";

export interface ScanProgress {
  phase: "walk" | "parse" | "done";
  /** Files processed in this phase so far / files to process. */
  done: number;
  total: number;
  path?: string;
}

export interface ScanOptions {
  origin?: string;
  onProgress?: (p: ScanProgress) => void;
  /** Rows per transaction (default 1000). */
  batchSize?: number;
  /**
   * Tag-reading worker threads. Default: one per core when at least WORKER_MIN_FILES files need
   * reading (starting a worker costs ~50 ms), else 0 = on this thread.
   */
  workers?: number;
  /** Per-file time limit for a tag parser before the file is recorded as untagged (default 10 s). */
  fileTimeoutMs?: number;
  /**
   * A root with no audio file at all, while the catalog has tracks under it, is left untouched
   * and reported, as an unreadable one is: an unmounted disk or share shows as an empty folder.
   * For rescans nobody asked for (the mount's watcher); a scan by hand removes them.
   */
  keepAllIfEmpty?: boolean;
}

/** From this many files to read on, the scan uses worker threads (measured break-even ~400). */
export const WORKER_MIN_FILES = 400;

export interface ScanIssue {
  path: string;
  message: string;
}

export interface ScanSummary {
  /** Audio files found under the roots. */
  scanned: number;
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
  moved: number;
  /** Files whose tags could not be read (kept in the catalog with parse_error). */
  failed: number;
  durationMs: number;
  /** Roots or folders that could not be read; nothing under them was removed. */
  errors: ScanIssue[];
}

export interface Existing {
  id: number;
  path: string;
  size: number;
  mtimeMs: number;
  fingerprint: string | null;
}

type Job = { file: FoundFile; existing: Existing | null };

/** `prefix` followed by "/" ... as a half-open text range, so the path index is used. */
function underRoot(root: string): [string, string] {
  const base = root.endsWith(path.sep) ? root : root + path.sep;
  return [base, base.slice(0, -1) + String.fromCharCode(path.sep.charCodeAt(0) + 1)];
}

function isUnder(p: string, dirs: readonly string[]): boolean {
  return dirs.some((d) => p === d || p.startsWith(d.endsWith(path.sep) ? d : d + path.sep));
}

function toRow(f: FoundFile, facts: FileFacts, origin: string): TrackInput {
  return { ...facts.props, origin, path: f.path, size: f.size, mtimeMs: f.mtimeMs, fingerprint: facts.fingerprint, format: f.format, parseError: facts.parseError };
}

export async function scanLibrary(db: Database, roots: readonly string[], opts: ScanOptions = {}): Promise<ScanSummary> {
  const t0 = performance.now();
  const origin = opts.origin ?? "local";
  const batchSize = Math.max(1, opts.batchSize ?? 1000);
  const summary: ScanSummary = { scanned: 0, added: 0, updated: 0, unchanged: 0, removed: 0, moved: 0, failed: 0, durationMs: 0, errors: [] };
  const progress = opts.onProgress ?? (() => {});

  // 1. Walk every root; a root that cannot be read is reported and left untouched in the catalog.
  const found = new Map<string, FoundFile>();
  const readRoots: string[] = [];
  const unreadable: string[] = [];
  const emptyRoots = new Set<string>();
  for (const r of roots) {
    const root = path.resolve(r);
    try {
      const before = found.size;
      for (const f of walkAudio(root, (p, e) => {
        unreadable.push(p);
        summary.errors.push({ path: p, message: e.message });
      }))
        found.set(f.path, f);
      readRoots.push(root);
      if (found.size === before) emptyRoots.add(root);
    } catch (e) {
      summary.errors.push({ path: root, message: (e as Error).message });
    }
    progress({ phase: "walk", done: found.size, total: found.size, path: root });
  }
  summary.scanned = found.size;

  // 2. What the catalog holds under the roots that were read.
  const existing = new Map<string, Existing>();
  const q = db.query("SELECT id, path, size, mtime_ms AS mtimeMs, fingerprint FROM tracks WHERE origin = ? AND ((path >= ? AND path < ?) OR path = ?)");
  for (const root of readRoots) {
    const [lo, hi] = underRoot(root);
    const rows = q.all(origin, lo, hi, root) as Existing[];
    if (opts.keepAllIfEmpty && emptyRoots.has(root) && rows.length > 0) {
      unreadable.push(root);
      summary.errors.push({ path: root, message: "no audio files here any more: its tracks are kept in the catalog (an unmounted disk or share?); run musicfs scan to remove them" });
    }
    for (const row of rows) existing.set(row.path, row);
  }

  await applyScan(db, origin, found, existing, unreadable, summary, progress, batchSize, async (files, onFacts) => {
    const workers = opts.workers ?? (files.length >= WORKER_MIN_FILES ? defaultTagWorkers() : 0);
    if (workers > 0 && files.length > 0) await readFactsInWorkers(files, onFacts, { workers, fileTimeoutMs: opts.fileTimeoutMs });
    else for (let i = 0; i < files.length; i++) onFacts(i, await readFileFacts(files[i].path, files[i].size, files[i].format));
  });
  summary.durationMs = Math.round(performance.now() - t0);
  return summary;
}


/** Reads the facts of `files`, calling onFacts(i, facts) for each (in any order). */
export type FactsReader = (files: FoundFile[], onFacts: (i: number, f: FileFacts) => void) => Promise<void>;

/**
 * Steps 3 and 4 of a scan, shared by folders and remote origins: compare what was found with the
 * catalog rows `existing`, read the new and changed files with `readFacts`, write rows in batches
 * (moves keep their id), then remove rows whose file vanished (except under `unreadable` folders).
 */
export async function applyScan(
  db: Database,
  origin: string,
  found: ReadonlyMap<string, FoundFile>,
  existing: ReadonlyMap<string, Existing>,
  unreadable: readonly string[],
  summary: ScanSummary,
  progress: (p: ScanProgress) => void,
  batchSize: number,
  readFacts: FactsReader,
): Promise<void> {
  const jobs: Job[] = [];
  for (const f of found.values()) {
    const e = existing.get(f.path) ?? null;
    if (e && e.size === f.size && e.mtimeMs === f.mtimeMs) summary.unchanged++;
    else jobs.push({ file: f, existing: e });
  }
  // Rows whose file is gone: removal candidates, unless a new file turns out to be the same content.
  const vanishedByFp = new Map<string, Existing[]>();
  const vanished = new Set<Existing>();
  for (const e of existing.values()) {
    if (found.has(e.path) || isUnder(e.path, unreadable)) continue;
    vanished.add(e);
    if (e.fingerprint) {
      const list = vanishedByFp.get(`${e.fingerprint}:${e.size}`) ?? [];
      list.push(e);
      vanishedByFp.set(`${e.fingerprint}:${e.size}`, list);
    }
  }

  // 3. Read changed and new files; rows are written in job order, a batch per transaction, as
  // soon as a batch is complete (the workers keep reading meanwhile).
  const w = new TrackWriter(db);
  const facts: (FileFacts | undefined)[] = new Array(jobs.length);
  let written = 0;
  const writeRows = (end: number) => {
    const now = Date.now();
    // Plan first (moves claim their vanished twin here), then write: a failed fast insert can be
    // retried without counting anything twice.
    const updates: [number, TrackInput][] = [];
    const inserts: TrackInput[] = [];
    let failed = 0;
    let updated = 0;
    let moved = 0;
    for (let k = written; k < end; k++) {
      const job = jobs[k];
      const f = facts[k]!;
      facts[k] = undefined;
      if (f.unreadable) {
        // The origin failed (not the file): keep the old row, if any, and try again next scan.
        summary.errors.push({ path: job.file.path, message: f.unreadable });
        continue;
      }
      const row = toRow(job.file, f, origin);
      if (row.parseError) failed++;
      if (job.existing) {
        updates.push([job.existing.id, row]);
        updated++;
        continue;
      }
      const twin = row.fingerprint ? vanishedByFp.get(`${row.fingerprint}:${row.size}`)?.pop() : undefined;
      if (twin) {
        // Same content at a new path: keep the id (playlists, inodes, play counts stay valid).
        vanished.delete(twin);
        updates.push([twin.id, row]);
        moved++;
      } else inserts.push(row);
    }
    const write = (fast: boolean) =>
      w.batch(() => {
        for (const [id, row] of updates) w.update(id, row, now);
        if (fast) w.insertNew(inserts, now);
        else for (const row of inserts) w.upsert(row, now);
      });
    try {
      write(true);
    } catch (e) {
      // A path appeared in the catalog since the scan looked (another scanner): upsert instead.
      if (!/UNIQUE constraint/i.test((e as Error)?.message ?? "")) throw e;
      write(false);
    }
    summary.failed += failed;
    summary.updated += updated;
    summary.moved += moved;
    summary.added += inserts.length;
    written = end;
    progress({ phase: "parse", done: written, total: jobs.length, path: jobs[end - 1].file.path });
  };
  let ready = 0; // facts[0..ready) are all present
  const onFacts = (i: number, f: FileFacts) => {
    facts[i] = f;
    while (ready < jobs.length && facts[ready] !== undefined) ready++;
    if (ready - written >= batchSize || (ready === jobs.length && ready > written)) writeRows(ready);
  };
  await readFacts(jobs.map((j) => j.file), onFacts);

  // 4. Remove what vanished.
  if (vanished.size > 0) {
    w.batch(() => {
      for (const e of vanished) w.delete(e.id);
    });
    summary.removed = vanished.size;
  }
  progress({ phase: "done", done: jobs.length, total: jobs.length });
}
