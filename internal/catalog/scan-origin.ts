// Scanning a remote origin (S3, SFTP, or any Origin) into the catalog. Files are listed through
// the origin, and tags are read with ranged reads of the head and tail (parseRemoteTags), never
// whole downloads. Rows keep origin-relative paths ("/Artist/Album/01.flac") under the origin's
// id. Everything after the listing (unchanged files skipped, moves kept by fingerprint, vanished
// files removed, batched writes) is the folder scan's own code (applyScan).
import type { Database } from "bun:sqlite";
import { originFingerprint, parseRemoteTags, type Origin, OriginError } from "../origins/index.ts";
import { EMPTY_PROPS, errorText, toProps, type FileFacts } from "./read-tags.ts";
import { applyScan, type Existing, type ScanProgress, type ScanSummary } from "./scan.ts";
import { audioFormat, type FoundFile } from "./walk.ts";
import { walk } from "../origins/walk.ts";

export interface OriginScanOptions {
  onProgress?: (p: ScanProgress) => void;
  /** Files read at once (each costs a few round trips). Default 8. */
  concurrency?: number;
  batchSize?: number;
  /** As ScanOptions.keepAllIfEmpty: an origin that lists no audio file keeps its tracks. */
  keepAllIfEmpty?: boolean;
}

export async function scanOrigin(db: Database, origin: Origin, opts: OriginScanOptions = {}): Promise<ScanSummary> {
  const t0 = performance.now();
  const summary: ScanSummary = { scanned: 0, added: 0, updated: 0, unchanged: 0, removed: 0, moved: 0, failed: 0, durationMs: 0, errors: [] };
  const progress = opts.onProgress ?? (() => {});

  // 1. List. A folder that cannot be listed is reported, and nothing under it is removed.
  const found = new Map<string, FoundFile>();
  const unreadable: string[] = [];
  for await (const e of walk(origin, "/", {
    concurrency: 4,
    onError: (dir, err) => {
      unreadable.push(dir);
      summary.errors.push({ path: `${origin.id}:${dir}`, message: errorText(err) });
    },
  })) {
    const format = audioFormat(e.name);
    if (format) found.set(e.path, { path: e.path, format, size: e.size, mtimeMs: Math.floor(e.mtimeMs) });
  }
  summary.scanned = found.size;
  progress({ phase: "walk", done: found.size, total: found.size, path: origin.displayName });
  // An unreachable origin lists nothing: keep its rows rather than delete the whole origin.
  if (unreadable.includes("/")) {
    summary.durationMs = Math.round(performance.now() - t0);
    return summary;
  }

  // 2. What the catalog holds for this origin.
  const existing = new Map<string, Existing>();
  const rows = db.query("SELECT id, path, size, mtime_ms AS mtimeMs, fingerprint FROM tracks WHERE origin = ?").all(origin.id) as Existing[];
  for (const row of rows) existing.set(row.path, row);
  if (opts.keepAllIfEmpty && found.size === 0 && existing.size > 0) {
    unreadable.push("/");
    summary.errors.push({ path: `${origin.id}:/`, message: "the origin lists no audio files any more: its tracks are kept in the catalog; run musicfs scan to remove them" });
  }

  // 3, 4. Read new and changed files by ranges, a few at a time.
  const conc = Math.max(1, opts.concurrency ?? 8);
  await applyScan(db, origin.id, found, existing, unreadable, summary, progress, Math.max(1, opts.batchSize ?? 500), async (files, onFacts) => {
    let next = 0;
    const lane = async () => {
      while (next < files.length) {
        const i = next++;
        onFacts(i, await remoteFacts(origin, files[i]));
      }
    };
    await Promise.all(Array.from({ length: Math.min(conc, files.length) }, lane));
  });
  summary.durationMs = Math.round(performance.now() - t0);
  return summary;
}

/** Fingerprint and tags of one remote file; like readFileFacts, never throws. */
async function remoteFacts(origin: Origin, f: FoundFile): Promise<FileFacts> {
  let fingerprint: string | null = null;
  try {
    fingerprint = await originFingerprint(origin, f.path, f.size);
    const { metadata } = await parseRemoteTags(origin, f.path, f.size);
    return { props: toProps(metadata, null), fingerprint, parseError: null };
  } catch (e) {
    if (e instanceof OriginError && !e.isPermanent) return { props: EMPTY_PROPS, fingerprint, parseError: null, unreadable: `${e.code}: ${e.message}` };
    return { props: EMPTY_PROPS, fingerprint, parseError: errorText(e) };
  }
}
