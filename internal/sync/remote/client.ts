// Client side of remote sync: push (local source → remote export) and pull (remote export →
// local destination), with the same plan rules and the same statistics as a local sync.
import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_PARAMS, type CdcParams } from "../../cdc/fastcdc.ts";
import { CHUNK_ID_BYTES, chunkIdInto } from "../../hash/index.ts";
import { chunkFileSync, chunkFiles, excludeMatcher, FileChunkError, walkTree, type FileChunks } from "../../manifest/index.ts";
import { ManifestBatchSchema, type PutChunksRequest } from "../../../proto/gen/musicfs/sync/v1/sync_pb.ts";
import { applyFromIndex } from "../apply.ts";
import { removeStrays, writeSymlinkAtomic } from "../atomic.ts";
import { FdCache, preadFull } from "../build.ts";
import { ChunkIndex, idHex, matchFile, offsetsOf } from "../chunks.ts";
import { compareListings, foldersToPrune, indexCandidates, type ListEntry } from "../compare.ts";
import { applyDelta, computeDelta, signatures } from "../delta.ts";
import { listTree } from "../listing.ts";
import { ensureParentDir, parentIsReal, STAGING_DIR, TEMP_PREFIX } from "../paths.ts";
import { Staging } from "../staging.ts";
import { emptyStats, finishStats, type SyncOptions, type SyncStats } from "../types.ts";
import { localCodecs, pack, unpack } from "./codec.ts";
import type { RemoteSpec } from "./spec.ts";
import { connectSync, type SyncClient } from "./transport.ts";
import { decodeDelta, encodeDelta, fromChunkList, fromEntry, fromSignatures, toChunkList, toEntry, toSignatures } from "./wire.ts";

export type RemoteTarget = { src: string; push: RemoteSpec } | { pull: RemoteSpec; dst: string };

export interface RemoteSyncOptions extends SyncOptions {
  token?: string;
  /** Test hook: stop a push after sending chunks, before the commit (an interrupted transfer). */
  stopBeforeCommit?: boolean;
}

/** Files per Commit request (about 60 bytes each). */
const COMMIT_BATCH = 5000;

/** Runs larger than this travel in several messages (servers accept 4 MiB messages by default). */
const MAX_RUN_BYTES = 2 << 20;

function errText(e: unknown): string {
  if (e instanceof ConnectError) return e.rawMessage;
  const err = e as NodeJS.ErrnoException;
  if (err?.code === "ENOSPC") return `destination is full (ENOSPC): ${err.message}`;
  return err?.message ?? String(e);
}

/** Remote sync; throws for connection, auth and protocol failures, per-file problems go to stats.errors. */
export async function syncRemote(target: RemoteTarget, opts: RemoteSyncOptions = {}): Promise<SyncStats> {
  const started = performance.now();
  const spec = "push" in target ? target.push : target.pull;
  const conn = connectSync(spec.baseUrl, opts.token);
  const label = `musicfs://${new URL(spec.baseUrl).host}/${spec.name}${spec.subpath ? "/" + spec.subpath : ""}`;
  const stats = "push" in target ? emptyStats(target.src, label, Boolean(opts.dryRun)) : emptyStats(label, target.dst, Boolean(opts.dryRun));
  try {
    if ("push" in target) await push(conn, target.src, spec, opts, stats);
    else await pull(conn, spec, target.dst, opts, stats);
  } catch (e) {
    if (e instanceof ConnectError && e.code === Code.Unauthenticated) throw new Error(`${label}: ${e.rawMessage} (set MUSICFS_TOKEN or --token)`);
    if (e instanceof ConnectError) throw new Error(`${label}: ${e.rawMessage}`);
    throw e;
  } finally {
    stats.wire = { sent: conn.wire.sent(), received: conn.wire.received() };
    stats.bytes.moved = stats.wire.sent + stats.wire.received;
    conn.close();
  }
  return finishStats(stats, started);
}

/** The peer's listing, every entry checked; one hostile path refuses the whole manifest. */
async function remoteListing(conn: SyncClient, spec: RemoteSpec, exclude: string[]): Promise<ListEntry[]> {
  const out: ListEntry[] = [];
  const excluded = excludeMatcher(exclude);
  for await (const res of conn.client.getManifest({ export: spec.name, subpath: spec.subpath, accept: localCodecs() })) {
    const batch = fromBinary(ManifestBatchSchema, unpack(res.entries));
    for (const e of batch.entries) {
      let entry: ListEntry;
      try {
        entry = fromEntry(e);
      } catch (err) {
        throw new Error(`refusing the peer's manifest: ${(err as Error).message}`);
      }
      if (!excluded(entry.rel)) out.push(entry);
    }
  }
  return out;
}

function localSource(src: string, exclude: string[]): (ListEntry & { abs: string })[] {
  const st = fs.lstatSync(src);
  if (st.isDirectory()) return listTree(src, [...exclude, `${TEMP_PREFIX}*`, STAGING_DIR]).entries;
  return walkTree(src).files;
}

function sameChunks(a: FileChunks, b: FileChunks): boolean {
  if (a.size !== b.size || a.ids.length !== b.ids.length) return false;
  for (let i = 0; i < a.ids.length; i++) if (a.ids[i] !== b.ids[i]) return false;
  return true;
}

/** Splits [first, first+count) into pieces of at most MAX_RUN_BYTES (whole chunks; one big chunk alone). */
function splitRun(lengths: number[], first: number, count: number): { first: number; count: number }[] {
  const out: { first: number; count: number }[] = [];
  let s = first;
  let bytes = 0;
  for (let k = first; k < first + count; k++) {
    if (bytes > 0 && bytes + lengths[k] > MAX_RUN_BYTES) {
      out.push({ first: s, count: k - s });
      s = k;
      bytes = 0;
    }
    bytes += lengths[k];
  }
  out.push({ first: s, count: first + count - s });
  return out;
}

class SourceChanged extends Error {}

// ---------------------------------------------------------------------------------------------
// Push

async function push(conn: SyncClient, src: string, spec: RemoteSpec, opts: RemoteSyncOptions, stats: SyncStats): Promise<void> {
  const params: CdcParams = opts.params ?? DEFAULT_PARAMS;
  const useDelta = opts.delta ?? true;
  const attempts = Math.max(1, opts.attempts ?? 3);
  const exclude = opts.exclude ?? [];
  const local = localSource(src, exclude);
  const remote = await remoteListing(conn, spec, exclude);
  const cmp = compareListings(local, remote, Boolean(opts.checksum));
  stats.files.total = local.length;
  for (const e of local) stats.bytes.total += e.size;
  const absOf = new Map(local.map((e) => [e.rel, e.abs]));
  stats.files.unchanged = cmp.unchanged.length;
  const metadata = cmp.unchanged.filter((u) => u.src.kind === "file" && u.src.mode !== u.dst.mode).map((u) => u.src);

  const session = await conn.client.openSession({ export: spec.name, subpath: spec.subpath, indexPaths: [...indexCandidates(cmp, Boolean(opts.indexAll))], accept: localCodecs(), params });
  const chunked = await chunkFiles(
    cmp.files.map((f) => absOf.get(f.src.rel)!),
    cmp.files.map((f) => f.src.size),
    { params, withIds: true },
  );
  const commitFiles: { entry: ListEntry; isNew: boolean; literal: number }[] = [];
  const total = cmp.files.reduce((a, f) => a + f.src.size, 0);
  let done = 0;
  for (let i = 0; i < cmp.files.length; i++) {
    const f = cmp.files[i];
    const abs = absOf.get(f.src.rel)!;
    let chunks = chunked[i];
    let entry = f.src;
    opts.onProgress?.(done, total, f.src.rel);
    for (let attempt = 1; ; attempt++) {
      try {
        if (chunks instanceof FileChunkError) throw chunks;
        const r = await pushFile(conn, session.sessionId, abs, entry, chunks, useDelta, Boolean(opts.dryRun));
        if (r === "identical") {
          metadata.push(entry);
          stats.files.unchanged++;
        } else {
          commitFiles.push({ entry, isNew: f.dst === null, literal: r });
          stats.plan.push({ path: entry.rel, action: f.dst ? "changed" : "new", bytes: entry.size, reused: entry.size - r, literal: r });
        }
        break;
      } catch (e) {
        if (e instanceof SourceChanged && attempt < attempts) {
          const st = fs.lstatSync(abs);
          entry = { ...entry, size: st.size, mtimeMs: st.mtimeMs, mode: st.mode & 0o7777 };
          chunks = chunkFileSync(abs, params, true);
          continue;
        }
        const msg = e instanceof SourceChanged ? `source changed during the sync ${attempts} times; not copied (run again when it is stable)` : errText(e);
        stats.errors.push({ path: f.src.rel, error: msg });
        stats.files.failed++;
        break;
      }
    }
    done += f.src.size;
    opts.onProgress?.(done, total, f.src.rel);
  }
  const deletes = opts.delete ? cmp.extra.map((d) => d.rel) : [];
  for (const s of cmp.symlinks) stats.plan.push({ path: s.src.rel, action: "symlink", bytes: 0, reused: 0, literal: 0 });
  for (const d of deletes) stats.plan.push({ path: d, action: "delete", bytes: 0, reused: 0, literal: 0 });
  for (const c of commitFiles) stats.bytes.literal += c.literal;
  if (opts.dryRun || opts.stopBeforeCommit) {
    if (opts.dryRun) {
      for (const c of commitFiles) {
        c.isNew ? stats.files.new++ : stats.files.changed++;
        stats.bytes.written += c.entry.size;
      }
      stats.files.deleted = deletes.length;
      stats.bytes.reused = stats.bytes.written - stats.bytes.literal;
    }
    return;
  }
  // Commits go in batches so no request nears a server's message limit (4 MiB by default);
  // symlinks and deletes come last, after every file landed.
  const results: { path: string; error: string }[] = [];
  let deleted = 0;
  const meta = (e: ListEntry) => ({ path: e.rel, size: BigInt(e.size), mtimeMs: e.mtimeMs, mode: e.mode });
  for (let i = 0, m = 0; ; i += COMMIT_BATCH, m += COMMIT_BATCH) {
    const last = i + COMMIT_BATCH >= commitFiles.length && m + COMMIT_BATCH >= metadata.length;
    const res = await conn.client.commit({
      sessionId: session.sessionId,
      files: commitFiles.slice(i, i + COMMIT_BATCH).map((c) => meta(c.entry)),
      metadata: metadata.slice(m, m + COMMIT_BATCH).map(meta),
      symlinks: last ? cmp.symlinks.map((s) => toEntry(s.src)) : [],
      deletes: last ? deletes : [],
    });
    results.push(...res.results);
    deleted += res.deleted;
    if (last) break;
  }
  const res = { results, deleted };
  const failed = new Map(res.results.filter((r) => r.error !== "").map((r) => [r.path, r.error]));
  for (const [p, error] of failed) {
    stats.errors.push({ path: p, error });
    stats.files.failed++;
  }
  for (const c of commitFiles) {
    if (failed.has(c.entry.rel)) {
      stats.bytes.literal -= c.literal;
      continue;
    }
    c.isNew ? stats.files.new++ : stats.files.changed++;
    stats.bytes.written += c.entry.size;
  }
  for (const s of cmp.symlinks) {
    if (failed.has(s.src.rel)) continue;
    s.dst ? stats.files.changed++ : stats.files.new++;
    stats.files.symlinks++;
  }
  stats.files.metadataOnly = metadata.filter((m) => !failed.has(m.rel)).length;
  stats.files.deleted = res.deleted;
  stats.bytes.reused = stats.bytes.written - stats.bytes.literal;
}

/**
 * Offers one file and sends what the server lacks. Returns "identical" or the literal bytes sent
 * (before compression). Throws SourceChanged if the file changed since it was chunked.
 */
async function pushFile(conn: SyncClient, sessionId: string, abs: string, entry: ListEntry, chunks: FileChunks, useDelta: boolean, dryRun: boolean): Promise<number | "identical"> {
  const offer = await conn.client.offerFile({ sessionId, path: entry.rel, size: BigInt(chunks.size), chunks: toChunkList(chunks) });
  if (offer.identical) return "identical";
  const offs = offsetsOf(chunks.lengths);
  const endOf = (first: number, count: number) => (first + count < chunks.lengths.length ? offs[first + count] : chunks.size);
  let literal = 0;
  const fd = fs.openSync(abs, "r");
  try {
    const messages: PutChunksRequest[] = [];
    const id = new Uint8Array(CHUNK_ID_BYTES);
    for (const run of offer.missing) {
      if (run.count < 1 || run.first + run.count > chunks.lengths.length) throw new Error("server asked for chunks the file does not have");
      const sig = useDelta ? fromSignatures(run.base) : null;
      const pieces = sig ? [{ first: run.first, count: run.count }] : splitRun(chunks.lengths, run.first, run.count);
      for (const p of pieces) {
        const start = offs[p.first];
        const bytes = new Uint8Array(endOf(p.first, p.count) - start);
        preadFull(fd, bytes, 0, bytes.length, start);
        // Verify before sending: a source that changed since chunking must not be sent half-old.
        let at = 0;
        for (let k = p.first; k < p.first + p.count; k++) {
          chunkIdInto(bytes.subarray(at, at + chunks.lengths[k]), id);
          for (let b = 0; b < CHUNK_ID_BYTES; b++) if (id[b] !== chunks.ids[k * CHUNK_ID_BYTES + b]) throw new SourceChanged();
          at += chunks.lengths[k];
        }
        let payload: Uint8Array = bytes;
        let delta = false;
        let lit = bytes.length;
        if (sig) {
          const ops = computeDelta(sig, bytes);
          const enc = encodeDelta(ops, bytes);
          if (enc.length < bytes.length) {
            payload = enc;
            delta = true;
            lit = ops.reduce((a, o) => a + (o.op === "insert" ? o.length : 0), 0);
          }
        }
        literal += lit;
        if (!dryRun) messages.push({ sessionId, run: { path: entry.rel, first: p.first, count: p.count, delta, data: pack(payload, localCodecs()[0]) } } as PutChunksRequest);
      }
    }
    if (messages.length > 0) {
      // One message at a time from a generator keeps memory at one run, not the whole file.
      await conn.client.putChunks(
        (async function* () {
          for (const m of messages) yield m;
        })(),
      );
    }
    const st = fs.fstatSync(fd);
    const now = fs.lstatSync(abs);
    if (st.size !== entry.size || st.mtimeMs !== entry.mtimeMs || now.ino !== st.ino) throw new SourceChanged();
  } finally {
    fs.closeSync(fd);
  }
  return literal;
}

// ---------------------------------------------------------------------------------------------
// Pull

async function pull(conn: SyncClient, spec: RemoteSpec, dst: string, opts: RemoteSyncOptions, stats: SyncStats): Promise<void> {
  const params: CdcParams = opts.params ?? DEFAULT_PARAMS;
  const useDelta = opts.delta ?? true;
  const attempts = Math.max(1, opts.attempts ?? 3);
  const exclude = opts.exclude ?? [];
  const remote = await remoteListing(conn, spec, exclude);
  const localList = listTree(dst, exclude);
  stats.errors.push(...localList.problems);
  if (!opts.dryRun) {
    stats.straysRemoved = removeStrays(localList.strays);
    fs.mkdirSync(dst, { recursive: true });
  }
  const cmp = compareListings(remote, localList.entries, Boolean(opts.checksum));
  stats.files.total = remote.length;
  for (const e of remote) stats.bytes.total += e.size;
  stats.files.unchanged = cmp.unchanged.length;

  const index = new ChunkIndex();
  const cands = [...indexCandidates(cmp, Boolean(opts.indexAll))].filter((r) => parentIsReal(dst, r));
  const sizes = new Map(localList.entries.map((e) => [e.rel, e.size]));
  const chunked = await chunkFiles(
    cands.map((r) => path.join(dst, r)),
    cands.map((r) => sizes.get(r) ?? 0),
    { params, withIds: true },
  );
  chunked.forEach((c, i) => {
    if (!(c instanceof FileChunkError)) index.add(cands[i], c);
  });
  const staging = new Staging(dst);
  staging.loadInto(index);
  const remotePath = (rel: string) => (spec.subpath ? `${spec.subpath}/${rel}` : rel);

  const fds = new FdCache();
  const targets = new Set(cmp.files.map((f) => f.src.rel));
  for (const f of index.files) if (targets.has(f.rel)) fds.preopen(path.join(dst, f.rel));
  const total = cmp.files.reduce((a, f) => a + f.src.size, 0);
  let done = 0;
  let full = false;
  try {
    for (const f of cmp.files) {
      opts.onProgress?.(done, total, f.src.rel);
      for (let attempt = 1; ; attempt++) {
        try {
          if (full) throw new Error("not synced: the destination is full");
          const r = await pullFile(conn, params, spec, remotePath(f.src.rel), f.src.rel, dst, index, staging, fds, useDelta, Boolean(opts.dryRun));
          if (r.identical) {
            if (!opts.dryRun) setMeta(path.join(dst, f.src.rel), r.mode, r.mtimeMs);
            stats.files.unchanged++;
            stats.files.metadataOnly++;
          } else {
            f.dst ? stats.files.changed++ : stats.files.new++;
            stats.bytes.written += r.size;
            stats.bytes.literal += r.literal;
            stats.plan.push({ path: f.src.rel, action: f.dst ? "changed" : "new", bytes: r.size, reused: r.size - r.literal, literal: r.literal });
          }
          break;
        } catch (e) {
          const changed = e instanceof SourceChanged || (e instanceof ConnectError && (e.code === Code.FailedPrecondition || e.code === Code.Aborted));
          if (changed && attempt < attempts) continue;
          if ((e as NodeJS.ErrnoException).code === "ENOSPC") full = true;
          stats.errors.push({ path: f.src.rel, error: changed ? `source changed during the sync ${attempts} times; not copied (run again when it is stable)` : errText(e) });
          stats.files.failed++;
          break;
        }
      }
      done += f.src.size;
    }
  } finally {
    fds.closeAll();
  }
  const deletes = opts.delete ? cmp.extra : [];
  for (const s of cmp.symlinks) stats.plan.push({ path: s.src.rel, action: "symlink", bytes: 0, reused: 0, literal: 0 });
  for (const d of deletes) stats.plan.push({ path: d.rel, action: "delete", bytes: 0, reused: 0, literal: 0 });
  if (opts.dryRun) {
    stats.files.deleted = deletes.length;
    stats.bytes.reused = stats.bytes.written - stats.bytes.literal;
    return;
  }
  for (const u of cmp.unchanged) {
    if (u.src.kind === "file" && u.src.mode !== u.dst.mode) {
      try {
        setMeta(path.join(dst, u.src.rel), u.src.mode, u.src.mtimeMs);
        stats.files.metadataOnly++;
      } catch (e) {
        stats.errors.push({ path: u.src.rel, error: errText(e) });
      }
    }
  }
  for (const s of cmp.symlinks) {
    try {
      ensureParentDir(dst, s.src.rel);
      writeSymlinkAtomic(path.join(dst, s.src.rel), s.src.target ?? "");
      s.dst ? stats.files.changed++ : stats.files.new++;
      stats.files.symlinks++;
    } catch (e) {
      stats.errors.push({ path: s.src.rel, error: errText(e) });
      stats.files.failed++;
    }
  }
  const gone: string[] = [];
  for (const d of deletes) {
    try {
      if (!parentIsReal(dst, d.rel)) throw new Error("not deleted: a parent folder is a symlink");
      fs.unlinkSync(path.join(dst, d.rel));
      gone.push(d.rel);
      stats.files.deleted++;
    } catch (e) {
      stats.errors.push({ path: d.rel, error: errText(e) });
      stats.files.failed++;
    }
  }
  for (const d of foldersToPrune(gone, remote.map((e) => e.rel))) {
    try {
      fs.rmdirSync(path.join(dst, d));
    } catch {}
  }
  if (stats.errors.length === 0) {
    // Everything landed: staged chunks are now held by the files (kept after errors, for a resume).
    fs.rmSync(staging.dir, { recursive: true, force: true });
  }
  stats.bytes.reused = stats.bytes.written - stats.bytes.literal;
}

function setMeta(abs: string, mode: number, mtimeMs: number): void {
  fs.chmodSync(abs, mode);
  fs.utimesSync(abs, mtimeMs / 1000, mtimeMs / 1000);
}

interface PullResult {
  identical: boolean;
  size: number;
  literal: number;
  mode: number;
  mtimeMs: number;
}

async function pullFile(conn: SyncClient, params: CdcParams, spec: RemoteSpec, remoteRel: string, rel: string, dst: string, index: ChunkIndex, staging: Staging, fds: FdCache, useDelta: boolean, dryRun: boolean): Promise<PullResult> {
  const fc = await conn.client.getFileChunks({ export: spec.name, path: remoteRel, params });
  const size = Number(fc.size);
  const chunks = fromChunkList(fc.chunks, size);
  const mode = fc.mode & 0o7777;
  const same = index.fileIndex(rel);
  if (same !== undefined && sameChunks(index.files[same].chunks, chunks)) return { identical: true, size, literal: 0, mode, mtimeMs: fc.mtimeMs };
  const match = matchFile(index, chunks, same);
  const offs = offsetsOf(chunks.lengths);
  const endOf = (first: number, count: number) => (first + count < chunks.lengths.length ? offs[first + count] : size);
  // What to ask for, and the old bytes each delta will be applied to.
  const runs: { first: number; count: number; offset: number; length: number; base?: Uint8Array; sig?: ReturnType<typeof signatures> }[] = [];
  for (const r of match.runs) {
    if (useDelta && r.base && r.length <= MAX_RUN_BYTES) {
      const base = new Uint8Array(r.base.length);
      preadFull(fds.get(path.join(dst, index.files[r.base.file].rel)), base, 0, base.length, r.base.offset);
      runs.push({ first: r.first, count: r.count, offset: r.offset, length: r.length, base, sig: signatures(base) });
    } else for (const p of splitRun(chunks.lengths, r.first, r.count)) runs.push({ ...p, offset: offs[p.first], length: endOf(p.first, p.count) - offs[p.first] });
  }
  let literal = 0;
  if (dryRun) {
    for (const r of runs) literal += r.length;
    return { identical: false, size, literal, mode, mtimeMs: fc.mtimeMs };
  }
  if (runs.length > 0) {
    const byFirst = new Map(runs.map((r) => [r.first, r]));
    const stream = conn.client.getChunks({
      export: spec.name,
      path: remoteRel,
      size: fc.size,
      mtimeMs: fc.mtimeMs,
      accept: localCodecs(),
      runs: runs.map((r) => ({ first: r.first, count: r.count, offset: BigInt(r.offset), length: BigInt(r.length), base: r.sig ? toSignatures(r.sig) : undefined })),
    });
    for await (const res of stream) {
      const run = res.run;
      const want = run ? byFirst.get(run.first) : undefined;
      if (!run || !want || run.count !== want.count) throw new Error("server sent a run that was not asked for");
      const raw = unpack(run.data);
      let data: Uint8Array;
      if (run.delta) {
        if (!want.base || !want.sig) throw new Error("server sent a delta without a base");
        const { ops, literal: lit } = decodeDelta(raw);
        data = applyDelta(want.base, want.sig.blockSize, ops, want.length, (s, l) => lit.subarray(s, s + l));
        literal += lit.length;
      } else {
        data = raw;
        literal += raw.length;
      }
      if (data.length !== want.length) throw new Error("server sent a run of the wrong length");
      let at = 0;
      for (let k = want.first; k < want.first + want.count; k++) {
        const len = chunks.lengths[k];
        const id = chunks.ids.subarray(k * CHUNK_ID_BYTES, (k + 1) * CHUNK_ID_BYTES);
        // Chunks are staged as they arrive: an interrupted pull resumes without fetching them again.
        if (!staging.put(id, data.subarray(at, at + len))) throw new SourceChanged();
        index.add(staging.relOf(idHex(chunks.ids, k)), { size: len, lengths: [len], ids: new Uint8Array(id) });
        at += len;
      }
      byFirst.delete(run.first);
    }
    if (byFirst.size > 0) throw new Error("server ended the chunk stream early");
  }
  applyFromIndex(dst, rel, { size, mode, mtimeMs: fc.mtimeMs }, chunks, index, fds);
  // Staged chunks are removed at the end of the run: later files may still need them.
  index.add(rel, chunks);
  return { identical: false, size, literal, mode, mtimeMs: fc.mtimeMs };
}
