// Scanning folders into the catalog: walk, skip unchanged (size + mtime), parse the rest with
// bounded concurrency, write in batched transactions, detect moves by fingerprint, remove files
// that vanished from roots that were read completely.
import type { Database } from "bun:sqlite";
import * as path from "node:path";
import { fingerprintFile } from "./fingerprint.ts";
import { EMPTY_PROPS, readFileProps, type FileProps } from "./read-tags.ts";
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
  /** Rows per transaction (default 500). */
  batchSize?: number;
  /** Concurrent tag reads (default 8): overlaps I/O waits; parsing itself runs on one thread. */
  concurrency?: number;
}

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

interface Existing {
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

async function inPool<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function describe(job: Job, origin: string): Promise<TrackInput> {
  const f = job.file;
  let props: FileProps = EMPTY_PROPS;
  let parseError: string | null = null;
  let fingerprint: string | null = null;
  try {
    fingerprint = fingerprintFile(f.path, f.size);
    props = await readFileProps(f.path, f.format);
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    parseError = (msg || (e as Error)?.name || "unreadable").slice(0, 500);
  }
  return { ...props, origin, path: f.path, size: f.size, mtimeMs: f.mtimeMs, fingerprint, format: f.format, parseError };
}

export async function scanLibrary(db: Database, roots: readonly string[], opts: ScanOptions = {}): Promise<ScanSummary> {
  const t0 = performance.now();
  const origin = opts.origin ?? "local";
  const batchSize = opts.batchSize ?? 500;
  const concurrency = opts.concurrency ?? 8;
  const summary: ScanSummary = { scanned: 0, added: 0, updated: 0, unchanged: 0, removed: 0, moved: 0, failed: 0, durationMs: 0, errors: [] };
  const progress = opts.onProgress ?? (() => {});

  // 1. Walk every root; a root that cannot be read is reported and left untouched in the catalog.
  const found = new Map<string, FoundFile>();
  const readRoots: string[] = [];
  const unreadable: string[] = [];
  for (const r of roots) {
    const root = path.resolve(r);
    try {
      for (const f of walkAudio(root, (p, e) => {
        unreadable.push(p);
        summary.errors.push({ path: p, message: e.message });
      }))
        found.set(f.path, f);
      readRoots.push(root);
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
    for (const row of q.all(origin, lo, hi, root) as Existing[]) existing.set(row.path, row);
  }

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

  // 3. Parse changed and new files in batches; each batch is one transaction.
  const w = new TrackWriter(db);
  let done = 0;
  for (let i = 0; i < jobs.length; i += batchSize) {
    const batch = jobs.slice(i, i + batchSize);
    const rows = await inPool(batch, concurrency, (j) => describe(j, origin));
    const now = Date.now();
    w.batch(() => {
      rows.forEach((row, k) => {
        const job = batch[k];
        if (row.parseError) summary.failed++;
        if (job.existing) {
          w.update(job.existing.id, row, now);
          summary.updated++;
          return;
        }
        const twin = row.fingerprint ? vanishedByFp.get(`${row.fingerprint}:${row.size}`)?.pop() : undefined;
        if (twin) {
          // Same content at a new path: keep the id (playlists, inodes, play counts stay valid).
          vanished.delete(twin);
          w.update(twin.id, row, now);
          summary.moved++;
        } else {
          w.upsert(row, now);
          summary.added++;
        }
      });
    });
    done += batch.length;
    progress({ phase: "parse", done, total: jobs.length, path: batch[batch.length - 1].file.path });
  }

  // 4. Remove what vanished.
  if (vanished.size > 0) {
    w.batch(() => {
      for (const e of vanished) w.delete(e.id);
    });
    summary.removed = vanished.size;
  }
  summary.durationMs = Math.round(performance.now() - t0);
  progress({ phase: "done", done: jobs.length, total: jobs.length });
  return summary;
}

