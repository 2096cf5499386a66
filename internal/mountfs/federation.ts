// The main-thread half of a mount with configured origins: one router (health checks, failover)
// and one chunk cache per process, answering the FUSE workers' reads (RemoteReadRequest). The
// workers serve cache hits themselves from store.dir (ChunkStoreReader) and only send misses here;
// their hits come back with each read for the stats and the LRU order (reader.noteHits).
import * as path from "node:path";
import { CachedReader } from "../cas/cached-reader.ts";
import { SharedChunkStore } from "../cas/shared-store.ts";
import { ChunkStore } from "../cas/store.ts";
import { type MusicFsConfig, resolveCredentials } from "../config/index.ts";
import { createRouter, errnoName, type Router, type RouterEvent, type TrackRef } from "../origins/index.ts";
import { summarizeOrigins, type OriginSummary } from "./locations.ts";
import type { RemoteReadRequest } from "./music-fs.ts";

const FILE_ERRNOS = new Set(["ENOENT", "EACCES", "EISDIR", "EINTR"]);

export interface Federation {
  readonly router: Router;
  readonly reader: CachedReader<TrackRef>;
  readonly store: ChunkStore | null;
  /** What the workers need to know of each origin (no credentials). */
  readonly origins: OriginSummary[];
  /** FuseOptions.onCall. */
  onCall(request: unknown): Promise<unknown>;
  close(): Promise<void>;
}

export interface FederationOptions {
  log?: (line: string) => void;
  onEvent?: (e: RouterEvent) => void;
}

/** Builds the router and cache from a config and runs a first health check (bounded by its timeout). */
export async function startFederation(config: MusicFsConfig, opts: FederationOptions = {}): Promise<Federation> {
  const log = opts.log ?? (() => {});
  const router = createRouter(config, {
    warn: log,
    onEvent: (e) => {
      if (e.type === "origin_health_changed") log(`origin ${e.originId} is ${e.status}${e.error ? `: ${e.error}` : ""}`);
      else if (e.type === "failover") log(`failover from ${e.from} to ${e.to}: ${e.reason}`);
      else if (e.type === "all_origins_unhealthy") log(`no healthy origin holds a requested track (${e.candidates} copies known)`);
      opts.onEvent?.(e);
    },
  });
  await router.checkHealth();
  router.start();
  const store = ChunkStore.tryOpen({ dir: path.join(config.cacheDir, "cache"), maxBytes: config.cache.maxBytes }, log);
  const sh = config.cache.shared;
  const shared = sh && store
    ? new SharedChunkStore({ ...sh, credentials: sh.credentials ? resolveCredentials(sh.credentials, "cache.shared.credentials", { warn: log, configFile: config.file }) : undefined })
    : undefined;
  if (shared) log(`shared chunk store: ${shared.displayName}`);
  const reader = new CachedReader<TrackRef>(router, store, { readaheadBytes: config.cache.readaheadBytes, cacheLocal: config.cache.cacheLocal, shared });
  const origins = summarizeOrigins(config);
  return {
    router,
    reader,
    store,
    origins,
    async onCall(request: unknown): Promise<unknown> {
      const r = request as RemoteReadRequest;
      if (r?.op !== "read") throw Object.assign(new Error(`unknown request ${JSON.stringify(r?.op)}`), { code: "EINVAL" });
      try {
        return await reader.read(r.ref, r.offset, r.size);
      } catch (e) {
        // A reader gets EIO for anything the origins did (refused, timed out, stale); only what is
        // true of the file itself keeps its own errno.
        const name = errnoName(e);
        throw Object.assign(new Error((e as Error)?.message ?? String(e)), { code: FILE_ERRNOS.has(name) ? name : "EIO" });
      }
    },
    async close() {
      await reader.flush().catch(() => {});
      await shared?.settled();
      await router.close();
      store?.close();
    },
  };
}
