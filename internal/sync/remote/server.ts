// Server side of remote sync: registerSyncService(router, { exports, token }) adds
// musicfs.sync.v1.SyncService to a Connect router (`musicfs serve` wires it in). Each export is a
// named folder; nothing outside it is ever read or written: every path from a client is checked,
// and parents are created without following symlinks.
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_PARAMS, validateParams, type CdcParams } from "../../cdc/fastcdc.ts";
import { chunkFileSync, chunkFiles, FileChunkError, type FileChunks } from "../../manifest/index.ts";
import {
  ChunkListSchema,
  CommitResponseSchema,
  FileResultSchema,
  GetChunksResponseSchema,
  GetFileChunksResponseSchema,
  GetManifestResponseSchema,
  ManifestBatchSchema,
  MissingRunSchema,
  OfferFileResponseSchema,
  OpenSessionResponseSchema,
  PutChunksResponseSchema,
  SyncService,
  ChunkRunSchema,
  type ChunkParams,
  type Codec,
} from "../../../proto/gen/musicfs/sync/v1/sync_pb.ts";
import { bearerToken, tokenMatches } from "../../rpc/auth.ts";
import { removeStrays, writeSymlinkAtomic } from "../atomic.ts";
import { applyFromIndex, MissingChunksError } from "../apply.ts";
import { FdCache, preadFull } from "../build.ts";
import { ChunkIndex, idHex, matchFile, offsetsOf, type FileMatch } from "../chunks.ts";
import { foldersToPrune } from "../compare.ts";
import { applyDelta, chooseBlockSize, computeDelta, signatures } from "../delta.ts";
import { listTree } from "../listing.ts";
import { ensureParentDir, parentIsReal, relPathProblem } from "../paths.ts";
import { Staging } from "../staging.ts";
import { pack, pickCodec, unpack } from "./codec.ts";
import { decodeDelta, encodeDelta, fromChunkList, fromSignatures, toEntry, toSignatures } from "./wire.ts";

export interface SyncServiceOptions {
  /** Export name → absolute folder. */
  exports: Record<string, string>;
  /** When set, every call must carry `authorization: Bearer <token>`. */
  token?: string;
  params?: CdcParams;
}

/** Entries per manifest message (a few KB compressed). */
const MANIFEST_BATCH = 2000;
/** Sessions idle longer than this are dropped (staged chunks stay on disk). */
const SESSION_IDLE_MS = 30 * 60 * 1000;
const MAX_SESSIONS = 32;
/** Largest run the server sends in one message (before compression). */
const MAX_RUN_BYTES = 2 << 20;

interface Offer {
  chunks: FileChunks;
  match: FileMatch;
}

interface Session {
  id: string;
  root: string;
  index: ChunkIndex;
  staging: Staging;
  offers: Map<string, Offer>;
  lastUsed: number;
}

/** The client's chunking parameters, validated (a peer must not pick absurd sizes). */
function paramsOf(p: ChunkParams | undefined, fallback: CdcParams): CdcParams {
  if (!p || (p.min === 0 && p.avg === 0 && p.max === 0)) return fallback;
  const q = { min: p.min, avg: p.avg, max: p.max };
  try {
    validateParams(q);
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (q.max > 16 << 20) throw bad("chunk max must be at most 16 MiB");
  return q;
}

function bad(msg: string): ConnectError {
  return new ConnectError(msg, Code.InvalidArgument);
}

function checkPath(rel: string): string {
  const p = relPathProblem(rel);
  if (p) throw bad(`refusing path ${JSON.stringify(rel.slice(0, 200))}: ${p}`);
  return rel;
}

export function registerSyncService(router: ConnectRouter, opts: SyncServiceOptions): void {
  const params = opts.params ?? DEFAULT_PARAMS;
  const sessions = new Map<string, Session>();
  const exportsAbs = new Map(Object.entries(opts.exports).map(([k, v]) => [k, path.resolve(v)]));

  const auth = (ctx: HandlerContext) => {
    if (!opts.token) return;
    const presented = bearerToken(ctx.requestHeader.get("authorization"));
    if (presented === null) throw new ConnectError("missing bearer token", Code.Unauthenticated);
    if (!tokenMatches(presented, opts.token)) throw new ConnectError("invalid bearer token", Code.Unauthenticated);
  };
  const exportRoot = (name: string): string => {
    const root = exportsAbs.get(name);
    if (!root) throw new ConnectError(`no export named ${JSON.stringify(name)}`, Code.NotFound);
    return root;
  };
  const rootOf = (name: string, subpath: string): string => {
    const root = exportRoot(name);
    return subpath === "" ? root : path.join(root, checkPath(subpath));
  };
  const session = (id: string): Session => {
    const s = sessions.get(id);
    if (!s) throw new ConnectError("unknown or expired sync session; start again", Code.NotFound);
    s.lastUsed = Date.now();
    return s;
  };
  const expire = () => {
    const now = Date.now();
    for (const [id, s] of sessions) if (now - s.lastUsed > SESSION_IDLE_MS) sessions.delete(id);
    while (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
  };
  /** A regular file of the export, by a checked relative path that does not pass through symlinks. */
  const fileIn = (root: string, rel: string): string => {
    checkPath(rel);
    if (!parentIsReal(root, rel)) throw new ConnectError(`${rel}: not found`, Code.NotFound);
    const abs = path.join(root, rel);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch {
      throw new ConnectError(`${rel}: not found`, Code.NotFound);
    }
    if (!st.isFile()) throw new ConnectError(`${rel}: not a regular file`, Code.NotFound);
    return abs;
  };

  router.service(SyncService, {
    async *getManifest(req, ctx) {
      auth(ctx);
      const root = rootOf(req.export, req.subpath);
      if (fs.existsSync(root) && !fs.lstatSync(root).isDirectory()) throw bad(`${req.subpath} is not a folder: sync the folder that holds it`);
      const listing = listTree(root);
      const codec = pickCodec(req.accept as Codec[]);
      for (let i = 0; i < Math.max(1, listing.entries.length); i += MANIFEST_BATCH) {
        const batch = create(ManifestBatchSchema, { entries: listing.entries.slice(i, i + MANIFEST_BATCH).map(toEntry) });
        yield create(GetManifestResponseSchema, { entries: pack(toBinary(ManifestBatchSchema, batch), codec) });
      }
    },

    async openSession(req, ctx) {
      auth(ctx);
      const root = rootOf(req.export, req.subpath);
      expire();
      const index = new ChunkIndex();
      const rels: string[] = [];
      const abs: string[] = [];
      const sizes: number[] = [];
      for (const rel of req.indexPaths) {
        try {
          const a = fileIn(root, rel);
          rels.push(rel);
          abs.push(a);
          sizes.push(fs.statSync(a).size);
        } catch {
          // Gone since the client listed it: just not a source of chunks.
        }
      }
      const chunked = await chunkFiles(abs, sizes, { params: paramsOf(req.params, params), withIds: true });
      chunked.forEach((c, i) => {
        if (!(c instanceof FileChunkError)) index.add(rels[i], c);
      });
      // Staging lives at the root being synced, so staged chunks are found by the next session.
      const staging = new Staging(root);
      const staged = staging.loadInto(index);
      const id = crypto.randomBytes(16).toString("hex");
      sessions.set(id, { id, root, index, staging, offers: new Map(), lastUsed: Date.now() });
      return create(OpenSessionResponseSchema, { sessionId: id, stagedChunks: staged });
    },

    async offerFile(req, ctx) {
      auth(ctx);
      const s = session(req.sessionId);
      const rel = checkPath(req.path);
      let chunks: FileChunks;
      try {
        chunks = fromChunkList(req.chunks, Number(req.size));
      } catch (e) {
        throw bad(`${rel}: ${(e as Error).message}`);
      }
      const same = s.index.fileIndex(rel);
      if (same !== undefined && equalChunks(s.index.files[same].chunks, chunks)) {
        s.offers.set(rel, { chunks, match: matchFile(s.index, chunks, same) });
        return create(OfferFileResponseSchema, { identical: true, reusedBytes: BigInt(chunks.size) });
      }
      const match = matchFile(s.index, chunks, same);
      s.offers.set(rel, { chunks, match });
      const missing = match.runs.map((r) => {
        let base;
        if (r.base && r.length <= MAX_RUN_BYTES) {
          try {
            const bytes = new Uint8Array(r.base.length);
            const fd = fs.openSync(path.join(s.root, s.index.files[r.base.file].rel), "r");
            try {
              preadFull(fd, bytes, 0, r.base.length, r.base.offset);
            } finally {
              fs.closeSync(fd);
            }
            base = toSignatures(signatures(bytes));
          } catch {
            base = undefined;
          }
        }
        return create(MissingRunSchema, { first: r.first, count: r.count, base });
      });
      return create(OfferFileResponseSchema, { identical: false, missing, reusedBytes: BigInt(match.reusedBytes) });
    },

    async putChunks(reqs, ctx) {
      auth(ctx);
      let stored = 0;
      let bytes = 0;
      for await (const req of reqs) {
        const s = session(req.sessionId);
        const run = req.run;
        if (!run) throw bad("PutChunks without a run");
        const offer = s.offers.get(run.path);
        if (!offer) throw bad(`${run.path}: not offered in this session`);
        const mr = offer.match.runs.find((r) => r.first === run.first);
        const c = offer.chunks;
        if (run.count < 1 || run.first + run.count > c.lengths.length) throw bad(`${run.path}: bad run ${run.first}+${run.count}`);
        const offs = offsetsOf(c.lengths);
        const start = offs[run.first];
        const end = run.first + run.count < c.lengths.length ? offs[run.first + run.count] : c.size;
        let data: Uint8Array;
        try {
          const raw = unpack(run.data);
          if (run.delta) {
            if (!mr?.base || mr.first !== run.first) throw new Error("delta for a run without a base");
            const base = new Uint8Array(mr.base.length);
            const fd = fs.openSync(path.join(s.root, s.index.files[mr.base.file].rel), "r");
            try {
              preadFull(fd, base, 0, mr.base.length, mr.base.offset);
            } finally {
              fs.closeSync(fd);
            }
            const { ops, literal } = decodeDelta(raw);
            const bs = chooseBlockSize(base.length); // the rule signatures() used for this base
            data = applyDelta(base, bs, ops, end - start, (st, l) => literal.subarray(st, st + l));
          } else data = raw;
        } catch (e) {
          throw bad(`${run.path}: ${(e as Error).message}`);
        }
        if (data.length !== end - start) throw bad(`${run.path}: run has ${data.length} bytes, expected ${end - start}`);
        let at = 0;
        for (let k = run.first; k < run.first + run.count; k++) {
          const len = c.lengths[k];
          const id = c.ids.subarray(k * 32, (k + 1) * 32);
          const chunk = data.subarray(at, at + len);
          let ok: boolean;
          try {
            ok = s.staging.put(id, chunk);
          } catch (e) {
            const err = e as NodeJS.ErrnoException;
            if (err.code === "ENOSPC") throw new ConnectError(`destination is full (ENOSPC) while staging chunks of ${run.path}`, Code.ResourceExhausted);
            throw e;
          }
          if (!ok) throw new ConnectError(`${run.path}: chunk ${k} does not match its SHA-256 (the source changed, or the data was damaged)`, Code.DataLoss);
          s.index.add(s.staging.relOf(idHex(c.ids, k)), { size: len, lengths: [len], ids: new Uint8Array(id) });
          at += len;
          stored++;
          bytes += len;
        }
      }
      return create(PutChunksResponseSchema, { chunksStored: stored, bytesStored: BigInt(bytes) });
    },

    async commit(req, ctx) {
      auth(ctx);
      const s = session(req.sessionId);
      fs.mkdirSync(s.root, { recursive: true });
      const results = [];
      const fds = new FdCache();
      const used = new Set<string>();
      const targets = new Set(req.files.map((f) => f.path));
      for (const f of s.index.files) if (targets.has(f.rel)) fds.preopen(path.join(s.root, f.rel));
      let full = false;
      try {
        for (const f of req.files) {
          let error = "";
          try {
            const rel = checkPath(f.path);
            const offer = s.offers.get(rel);
            if (!offer) throw new Error("not offered in this session");
            if (Number(f.size) !== offer.chunks.size) throw new Error("size differs from the offer");
            if (full) throw new Error("not written: the destination is full");
            applyFromIndex(s.root, rel, { size: offer.chunks.size, mode: f.mode & 0o7777, mtimeMs: f.mtimeMs }, offer.chunks, s.index, fds);
            for (let k = 0; k < offer.chunks.lengths.length; k++) used.add(idHex(offer.chunks.ids, k));
            s.index.add(rel, offer.chunks);
          } catch (e) {
            const err = e as NodeJS.ErrnoException;
            if (err.code === "ENOSPC") full = true;
            error = err.code === "ENOSPC" ? `destination is full (ENOSPC): ${err.message}` : e instanceof MissingChunksError ? e.message : (err.message ?? String(e));
          }
          results.push(create(FileResultSchema, { path: f.path, error }));
        }
      } finally {
        fds.closeAll();
      }
      for (const m of req.metadata) {
        let error = "";
        try {
          const abs = fileIn(s.root, m.path);
          fs.chmodSync(abs, m.mode & 0o7777);
          fs.utimesSync(abs, m.mtimeMs / 1000, m.mtimeMs / 1000);
        } catch (e) {
          error = (e as Error).message;
        }
        results.push(create(FileResultSchema, { path: m.path, error }));
      }
      for (const l of req.symlinks) {
        let error = "";
        try {
          const rel = checkPath(l.path);
          if (l.target === "" || l.target.includes("\0")) throw new Error("bad symlink target");
          ensureParentDir(s.root, rel);
          writeSymlinkAtomic(path.join(s.root, rel), l.target);
        } catch (e) {
          error = (e as Error).message;
        }
        results.push(create(FileResultSchema, { path: l.path, error }));
      }
      let deleted = 0;
      const gone: string[] = [];
      for (const d of req.deletes) {
        let error = "";
        try {
          const rel = checkPath(d);
          if (!parentIsReal(s.root, rel)) throw new Error("a parent folder is a symlink");
          fs.unlinkSync(path.join(s.root, rel));
          gone.push(rel);
          deleted++;
        } catch (e) {
          error = (e as Error).message;
        }
        if (error) results.push(create(FileResultSchema, { path: d, error }));
      }
      // Folders emptied by deletes go too (rmdir fails on anything still holding files).
      for (const dir of foldersToPrune(gone, [])) {
        try {
          fs.rmdirSync(path.join(s.root, dir));
        } catch {}
      }
      s.staging.remove(used);
      s.staging.tidy();
      removeStrays(listTree(s.root).strays);
      return create(CommitResponseSchema, { results, deleted });
    },

    async getFileChunks(req, ctx) {
      auth(ctx);
      const root = exportRoot(req.export);
      const abs = fileIn(root, req.path);
      const st = fs.statSync(abs);
      const c = chunkFileSync(abs, paramsOf(req.params, params), true);
      const after = fs.statSync(abs);
      if (after.size !== st.size || after.mtimeMs !== st.mtimeMs) throw new ConnectError(`${req.path}: changed while being read; try again`, Code.Aborted);
      return create(GetFileChunksResponseSchema, { size: BigInt(c.size), mtimeMs: st.mtimeMs, mode: st.mode & 0o7777, chunks: create(ChunkListSchema, { lengths: c.lengths, ids: c.ids }) });
    },

    async *getChunks(req, ctx) {
      auth(ctx);
      const root = exportRoot(req.export);
      const abs = fileIn(root, req.path);
      const codec = pickCodec(req.accept as Codec[]);
      const fd = fs.openSync(abs, "r");
      try {
        const same = () => {
          const st = fs.fstatSync(fd);
          return st.size === Number(req.size) && st.mtimeMs === req.mtimeMs;
        };
        if (!same()) throw new ConnectError(`${req.path}: changed since its chunk list was read`, Code.FailedPrecondition);
        for (const r of req.runs) {
          const offset = Number(r.offset);
          const length = Number(r.length);
          if (!(length > 0 && length <= MAX_RUN_BYTES && offset >= 0 && offset + length <= Number(req.size))) throw bad(`${req.path}: bad run range`);
          const bytes = new Uint8Array(length);
          preadFull(fd, bytes, 0, length, offset);
          if (!same()) throw new ConnectError(`${req.path}: changed while being sent`, Code.FailedPrecondition);
          const sig = fromSignatures(r.base);
          let delta = false;
          let payload: Uint8Array = bytes;
          if (sig) {
            const encoded = encodeDelta(computeDelta(sig, bytes), bytes);
            if (encoded.length < length) {
              delta = true;
              payload = encoded;
            }
          }
          yield create(GetChunksResponseSchema, { run: create(ChunkRunSchema, { path: req.path, first: r.first, count: r.count, delta, data: pack(payload, codec) }) });
        }
      } finally {
        fs.closeSync(fd);
      }
    },
  });
}

function equalChunks(a: FileChunks, b: FileChunks): boolean {
  if (a.size !== b.size || a.ids.length !== b.ids.length) return false;
  for (let i = 0; i < a.ids.length; i++) if (a.ids[i] !== b.ids[i]) return false;
  return true;
}
