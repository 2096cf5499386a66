// `musicfs sync SRC DST` between two local paths: plan from the listings, chunk what changed,
// rebuild each changed file from bytes the destination already has plus the new bytes from the
// source, and replace it atomically.
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_PARAMS, type CdcParams } from "../cdc/fastcdc.ts";
import { chunkFileSync, chunkFiles, FileChunkError, walkTree, type FileChunks } from "../manifest/index.ts";
import { commitTemp, isTempName, removeStrays, writeSymlinkAtomic } from "./atomic.ts";
import { buildTemp, ChunkMismatchError, FdCache, preadFull } from "./build.ts";
import { ChunkIndex, matchFile } from "./chunks.ts";
import { compareListings, foldersToPrune, indexCandidates, type ListEntry } from "./compare.ts";
import { ensureParentDir, parentIsReal, STAGING_DIR, TEMP_PREFIX } from "./paths.ts";
import { listTree } from "./listing.ts";
import { planSegments, type SegmentPlan } from "./segments.ts";
import { emptyStats, finishStats, type FileAction, type SyncOptions, type SyncStats } from "./types.ts";

interface Side {
  /** Folder that entries are relative to. */
  root: string;
  entries: (ListEntry & { abs: string })[];
  strays: string[];
}

/** Error text with the errno code, for reports. */
function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === "ENOSPC") return `destination is full (ENOSPC): ${err.message}`;
  return err?.message ?? String(e);
}

class SourceChangedError extends Error {
  override name = "SourceChangedError";
}

/**
 * Resolves what to sync: a folder's contents into a folder, or one file into a file (or into a
 * folder, keeping its name). Returns both listings.
 */
function listSides(src: string, dst: string, exclude: string[]): { src: Side; dst: Side; problems: { path: string; error: string }[] } {
  const problems: { path: string; error: string }[] = [];
  const srcSt = fs.lstatSync(src);
  const internal = [`${TEMP_PREFIX}*`, STAGING_DIR];
  if (!srcSt.isDirectory()) {
    let dstRoot: string;
    let rel: string;
    let dstSt: fs.Stats | null = null;
    try {
      dstSt = fs.statSync(dst);
    } catch {}
    if (dstSt?.isDirectory()) [dstRoot, rel] = [dst, path.basename(src)];
    else [dstRoot, rel] = [path.dirname(dst), path.basename(dst)];
    const w = walkTree(src);
    problems.push(...w.problems);
    const srcEntries = w.files.map((f) => ({ ...f, rel }));
    const dstEntries: Side["entries"] = [];
    const target = path.join(dstRoot, rel);
    if (fs.existsSync(target) || isSymlink(target)) {
      const d = walkTree(target);
      if (d.files.length === 1) dstEntries.push({ ...d.files[0], rel });
    }
    const strays = safeReaddir(dstRoot).filter(isTempName).map((n) => path.join(dstRoot, n));
    return { src: { root: path.dirname(src), entries: srcEntries, strays: [] }, dst: { root: dstRoot, entries: dstEntries, strays }, problems };
  }
  const s = walkTree(src, { exclude: [...exclude, ...internal] });
  problems.push(...s.problems);
  const d = listTree(dst, exclude);
  problems.push(...d.problems);
  return { src: { root: src, entries: s.files, strays: [] }, dst: { root: dst, entries: d.entries, strays: d.strays }, problems };
}

/** A destination inside the source (or the reverse) would sync into itself, growing each run. */
function refuseNested(src: string, dst: string): void {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const a = real(src);
  const b = fs.existsSync(dst) ? real(dst) : path.join(real(path.dirname(path.resolve(dst))), path.basename(dst));
  if (!fs.lstatSync(src).isDirectory()) return;
  if (a === b) throw new Error(`source and destination are the same folder (${a})`);
  if (b.startsWith(a + "/")) throw new Error(`the destination ${dst} is inside the source ${src}; it would be copied into itself`);
  if (a.startsWith(b + "/")) throw new Error(`the source ${src} is inside the destination ${dst}; --delete or a rename could destroy it`);
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

interface FileJob {
  rel: string;
  srcAbs: string;
  src: ListEntry;
  dst: ListEntry | null;
  chunks: FileChunks;
  plan: SegmentPlan;
}

/** Local folder (or file) sync. Never throws for one bad file: it lands in stats.errors. */
export async function syncFolders(src: string, dst: string, opts: SyncOptions = {}): Promise<SyncStats> {
  const started = performance.now();
  const stats = emptyStats(src, dst, Boolean(opts.dryRun));
  const params: CdcParams = opts.params ?? DEFAULT_PARAMS;
  const useDelta = opts.delta ?? true;
  const attempts = Math.max(1, opts.attempts ?? 3);
  if (!fs.existsSync(src) && !isSymlink(src)) throw new Error(`${src}: no such file or folder`);

  refuseNested(src, dst);
  const sides = listSides(src, dst, opts.exclude ?? []);
  stats.errors.push(...sides.problems);
  const dstRoot = sides.dst.root;
  const dstAbs = (rel: string) => path.join(dstRoot, rel);
  if (!opts.dryRun) {
    stats.straysRemoved = removeStrays(sides.dst.strays);
    fs.mkdirSync(dstRoot, { recursive: true });
  }

  const cmp = compareListings(sides.src.entries, sides.dst.entries, Boolean(opts.checksum));
  stats.files.total = sides.src.entries.length;
  for (const e of sides.src.entries) stats.bytes.total += e.size;
  const srcAbsOf = new Map(sides.src.entries.map((e) => [e.rel, e.abs]));

  // Chunk the destination files that can give bytes, and the source files to be written.
  const index = new ChunkIndex();
  const candidates = [...indexCandidates(cmp, Boolean(opts.indexAll))].filter((rel) => parentIsReal(dstRoot, rel));
  const dstSizes = new Map(sides.dst.entries.map((e) => [e.rel, e.size]));
  // One pass over both lists: one worker pool instead of two (worker start-up is tens of ms).
  const srcPaths = cmp.files.map((f) => srcAbsOf.get(f.src.rel)!);
  const all = await chunkFiles(
    [...candidates.map(dstAbs), ...srcPaths],
    [...candidates.map((r) => dstSizes.get(r) ?? 0), ...cmp.files.map((f) => f.src.size)],
    { params, withIds: true },
  );
  all.slice(0, candidates.length).forEach((c, i) => {
    if (!(c instanceof FileChunkError)) index.add(candidates[i], c);
  });
  const srcChunks = all.slice(candidates.length);

  const jobs: FileJob[] = [];
  const metadataOnly: { src: ListEntry; dst: ListEntry }[] = [];
  cmp.files.forEach((f, i) => {
    const c = srcChunks[i];
    if (c instanceof FileChunkError) {
      stats.errors.push({ path: f.src.rel, error: c.message });
      stats.files.failed++;
      return;
    }
    const same = f.dst ? index.fileIndex(f.dst.rel) : undefined;
    if (f.dst && same !== undefined && sameContent(index.files[same].chunks, c)) {
      // --checksum (or only the mtime differs): content is equal, fix metadata only.
      metadataOnly.push({ src: f.src, dst: f.dst });
      return;
    }
    const srcAbs = srcAbsOf.get(f.src.rel)!;
    const match = matchFile(index, c, same);
    const plan = planSegments(dstRoot, srcAbs, c, match, index, useDelta);
    jobs.push({ rel: f.src.rel, srcAbs, src: f.src, dst: f.dst, chunks: c, plan });
  });
  for (const u of cmp.unchanged) {
    if (u.src.kind === "file" && (u.src.mode !== u.dst.mode)) metadataOnly.push(u);
    else stats.files.unchanged++;
  }

  const record = (rel: string, action: FileAction, bytes: number, literal: number) => {
    stats.plan.push({ path: rel, action, bytes, reused: bytes - literal, literal });
  };
  for (const j of jobs) record(j.rel, j.dst ? "changed" : "new", j.src.size, j.plan.literal);
  for (const m of metadataOnly) record(m.src.rel, "metadata", 0, 0);
  for (const s of cmp.symlinks) record(s.src.rel, "symlink", 0, 0);
  const deletes = opts.delete ? cmp.extra : [];
  for (const d of deletes) record(d.rel, "delete", 0, 0);

  if (opts.dryRun) {
    for (const j of jobs) {
      if (j.dst) stats.files.changed++;
      else stats.files.new++;
      stats.bytes.written += j.src.size;
      stats.bytes.literal += j.plan.literal;
    }
    for (const s of cmp.symlinks) s.dst ? stats.files.changed++ : stats.files.new++;
    stats.files.symlinks = cmp.symlinks.length;
    stats.files.metadataOnly = metadataOnly.length;
    stats.files.unchanged += metadataOnly.length;
    stats.files.deleted = deletes.length;
    stats.bytes.reused = stats.bytes.written - stats.bytes.literal;
    stats.bytes.moved = stats.bytes.literal;
    return finishStats(stats, started);
  }

  // Files that are both a source of bytes and about to be replaced stay readable through an fd.
  const fds = new FdCache();
  const targets = new Set(jobs.map((j) => j.rel));
  for (const f of index.files) if (targets.has(f.rel)) fds.preopen(dstAbs(f.rel));
  const toWrite = jobs.reduce((a, j) => a + j.src.size, 0);
  let written = 0;
  let diskFull = false;
  try {
    for (const job of jobs) {
      if (diskFull) {
        stats.errors.push({ path: job.rel, error: "not synced: the destination is full" });
        stats.files.failed++;
        continue;
      }
      opts.onProgress?.(written, toWrite, job.rel);
      try {
        const literal = writeOne(job, dstRoot, index, fds, params, useDelta, attempts, (n) => {
          written += n;
          opts.onProgress?.(written, toWrite, job.rel);
        });
        if (job.dst) stats.files.changed++;
        else stats.files.new++;
        stats.bytes.written += job.src.size;
        stats.bytes.literal += literal;
        // Later files may reuse this one's chunks (duplicates within the source).
        index.add(job.rel, job.chunks);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOSPC") diskFull = true;
        stats.errors.push({ path: job.rel, error: errText(e) });
        stats.files.failed++;
      }
    }
  } finally {
    fds.closeAll();
  }
  opts.onProgress?.(toWrite, toWrite, "");

  for (const m of metadataOnly) {
    try {
      const abs = dstAbs(m.src.rel);
      fs.chmodSync(abs, m.src.mode);
      fs.utimesSync(abs, m.src.mtimeMs / 1000, m.src.mtimeMs / 1000);
      stats.files.metadataOnly++;
      stats.files.unchanged++;
    } catch (e) {
      stats.errors.push({ path: m.src.rel, error: errText(e) });
      stats.files.failed++;
    }
  }
  for (const s of cmp.symlinks) {
    try {
      ensureParentDir(dstRoot, s.src.rel);
      writeSymlinkAtomic(dstAbs(s.src.rel), s.src.target ?? "");
      if (s.dst) stats.files.changed++;
      else stats.files.new++;
      stats.files.symlinks++;
    } catch (e) {
      stats.errors.push({ path: s.src.rel, error: errText(e) });
      stats.files.failed++;
    }
  }
  if (deletes.length > 0) deleteExtra(dstRoot, deletes.map((d) => d.rel), sides.src.entries.map((e) => e.rel), stats);

  stats.bytes.reused = stats.bytes.written - stats.bytes.literal;
  stats.bytes.moved = stats.bytes.literal;
  return finishStats(stats, started);
}

function sameContent(a: FileChunks, b: FileChunks): boolean {
  if (a.size !== b.size || a.ids.length !== b.ids.length) return false;
  for (let i = 0; i < a.ids.length; i++) if (a.ids[i] !== b.ids[i]) return false;
  return true;
}

/**
 * Writes one file. If its source changed since it was chunked (stat differs, or a chunk fails its
 * SHA-256), it is chunked again and rebuilt, up to `attempts` times; a half-old copy is never
 * renamed into place. Returns the bytes read from the source.
 */
function writeOne(job: FileJob, dstRoot: string, index: ChunkIndex, fds: FdCache, params: CdcParams, useDelta: boolean, attempts: number, onBytes: (n: number) => void): number {
  const dir = ensureParentDir(dstRoot, job.rel);
  let chunks = job.chunks;
  let plan = job.plan;
  let before = { size: job.src.size, mtimeMs: job.src.mtimeMs };
  for (let attempt = 1; ; attempt++) {
    const srcFd = fs.openSync(job.srcAbs, "r");
    try {
      const built = buildTemp({
        dir,
        size: chunks.size,
        mode: job.src.mode,
        mtimeMs: before.mtimeMs,
        lengths: chunks.lengths,
        ids: chunks.ids,
        segments: plan.segments,
        fds,
        source: (offset, length, buf, at) => preadFull(srcFd, buf, at, length, offset),
        onBytes,
      });
      const after = fs.fstatSync(srcFd);
      const now = fs.lstatSync(job.srcAbs);
      if (after.size !== before.size || after.mtimeMs !== before.mtimeMs || now.ino !== after.ino) {
        fs.rmSync(built.tmp, { force: true });
        throw new SourceChangedError(`${job.srcAbs}: changed while it was being copied`);
      }
      commitTemp(built.tmp, path.join(dstRoot, job.rel));
      return built.sourceBytes;
    } catch (e) {
      if (!(e instanceof SourceChangedError || e instanceof ChunkMismatchError) || attempt >= attempts) {
        if (e instanceof SourceChangedError || e instanceof ChunkMismatchError) throw new Error(`source changed during the sync ${attempts} times; not copied (run again when it is stable)`);
        throw e;
      }
    } finally {
      fs.closeSync(srcFd);
    }
    // Re-read the source as it is now and plan again.
    const st = fs.lstatSync(job.srcAbs);
    before = { size: st.size, mtimeMs: st.mtimeMs };
    chunks = chunkFileSync(job.srcAbs, params, true);
    const same = job.dst ? index.fileIndex(job.dst.rel) : undefined;
    plan = planSegments(dstRoot, job.srcAbs, chunks, matchFile(index, chunks, same), index, useDelta);
    job.src = { ...job.src, size: chunks.size, mtimeMs: st.mtimeMs, mode: st.mode & 0o7777 };
  }
}

function deleteExtra(dstRoot: string, rels: string[], srcRels: string[], stats: SyncStats): void {
  const dirs = new Set<string>();
  for (const rel of rels) {
    if (!parentIsReal(dstRoot, rel)) {
      stats.errors.push({ path: rel, error: "not deleted: a parent folder is a symlink" });
      stats.files.failed++;
      continue;
    }
    try {
      fs.unlinkSync(path.join(dstRoot, rel));
      dirs.add(path.dirname(path.join(dstRoot, rel)));
      stats.files.deleted++;
    } catch (e) {
      stats.errors.push({ path: rel, error: errText(e) });
      stats.files.failed++;
    }
  }
  for (const d of foldersToPrune(rels, srcRels)) {
    try {
      fs.rmdirSync(path.join(dstRoot, d)); // only succeeds when empty: excluded files stay
    } catch {}
  }
  for (const d of dirs) {
    try {
      const fd = fs.openSync(d, "r");
      fs.fsyncSync(fd);
      fs.closeSync(fd);
    } catch {}
  }
}
