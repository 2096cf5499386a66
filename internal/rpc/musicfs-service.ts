// musicfs.v1.MusicFS and musicfs.v1.MetadataService. Search, SearchStream, GetStatus and
// Shutdown are real; ListOrigins, GetOriginHealth, GetCacheStats and ClearCache are real when the
// process has origins (`--config`). Methods of subsystems that do not exist yet (event bus,
// metadata overlay) answer UNIMPLEMENTED with a message naming the missing piece, never made-up
// numbers that a client could mistake for a healthy system.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import pkg from "../../package.json" with { type: "json" };
import {
  CacheStatsSchema,
  ClearCacheResponseSchema,
  EmptySchema,
  EventSchema,
  HealthStatus,
  OriginHealthResponseSchema,
  OriginInfoSchema,
  OriginsResponseSchema,
  OriginStatusSchema,
  PrefetchProgressSchema,
  TierStatsSchema,
  MetadataService,
  MountState,
  MusicFS,
  SearchResponseSchema,
  SearchResultSchema,
  StatusResponseSchema,
  type SearchResult as PbSearchResult,
  type StatusResponse,
} from "../../proto/gen/musicfs/v1/musicfs_pb.ts";
import type { SearchBackend, SearchHit } from "./backend.ts";
import { metadataService, type MetadataBackend } from "./metadata-service.ts";
import type { OriginHealth, OriginsBackend } from "./origins-backend.ts";
import type { EventBus } from "../events/bus.ts";
import { requireBackend, SEARCH_DEADLINE_MS, searchWithDeadline, validateSearch } from "./search.ts";

export interface MusicfsServiceOptions {
  /** Absent: Search answers UNAVAILABLE (no catalog loaded), GetStatus reports 0 tracks. */
  backend?: SearchBackend;
  /** Per-call search budget; the API documents 5 s. Lower only in tests. */
  searchDeadlineMs?: number;
  /** Filled into GetStatus by the process that owns a mount (mount point, state, FUSE counters). */
  status?: () => Partial<Pick<StatusResponse, "mountPoint" | "state" | "openFileHandles" | "fuseOpsTotal" | "cacheSizeBytes">>;
  /**
   * Called after Shutdown has been answered. Absent: Shutdown is UNIMPLEMENTED.
   * `allowShutdown` says whether the caller may use it (see server.ts).
   */
  onShutdown?: (req: { graceful: boolean; timeoutSecs: number }) => void;
  allowShutdown?: boolean;
  /** What SubscribeEvents streams. Absent: UNIMPLEMENTED. */
  events?: EventBus;
  /** Origins and chunk cache (`--config`). Absent: their methods are UNIMPLEMENTED. */
  origins?: OriginsBackend;
  /** Tag edits (the metadata overlay). Absent: edits are UNIMPLEMENTED, GetMetadata uses backend.getTrack. */
  metadata?: MetadataBackend;
  /** Explicit prefetch of whole tracks (the mount's chunk cache). Absent: Prefetch is UNIMPLEMENTED. */
  prefetch?: PrefetchBackend;
}

export interface PrefetchBackend {
  run(paths: readonly string[], signal: AbortSignal): AsyncIterable<{ path: string; completed: number; total: number; bytes: number; error?: string }>;
}

const MAX_PREFETCH_PATHS = 10_000;

const HEALTH: Record<OriginHealth, HealthStatus> = {
  healthy: HealthStatus.HEALTH_HEALTHY,
  degraded: HealthStatus.HEALTH_DEGRADED,
  unhealthy: HealthStatus.HEALTH_UNHEALTHY,
  unknown: HealthStatus.HEALTH_UNKNOWN,
};

function requireCache(o: OriginsBackend) {
  if (!o.cache) throw new ConnectError(`no chunk cache in this process: ${o.cacheUnavailable ?? "none configured"}`, Code.FailedPrecondition);
  return o.cache;
}

/**
 * Hits per backend call in SearchStream: a small first page so the first results arrive at once,
 * then large pages, because each call re-runs the count and (when ranked) the bm25 sort.
 */
const STREAM_FIRST_PAGE = 100;
const STREAM_PAGE = 2000;

const startedAt = Date.now();

function unimplemented(method: string, missing: string): never {
  throw new ConnectError(`${method} is not available: ${missing} is not built into this version of musicfs`, Code.Unimplemented);
}

function toPb(h: SearchHit): PbSearchResult {
  return create(SearchResultSchema, {
    fileId: BigInt(h.id),
    virtualPath: h.path,
    artist: h.artist ?? undefined,
    album: h.album ?? undefined,
    title: h.title ?? undefined,
    score: h.score ?? 0,
    highlights: h.highlights ?? {},
  });
}

export function musicfsService(opts: MusicfsServiceOptions): Partial<ServiceImpl<typeof MusicFS>> {
  const budget = opts.searchDeadlineMs ?? SEARCH_DEADLINE_MS;
  return {
    async search(req, ctx) {
      const q = validateSearch(req);
      const backend = requireBackend(opts.backend);
      const res = await searchWithDeadline(backend, q, q, ctx, Date.now() + budget, budget);
      return create(SearchResponseSchema, {
        results: res.hits.map(toPb),
        totalMatches: BigInt(res.total),
        queryTimeMs: Math.max(0, Math.round(res.tookMs)),
      });
    },

    async *searchStream(req, ctx: HandlerContext) {
      const q = validateSearch(req);
      const backend = requireBackend(opts.backend);
      // One deadline for the whole stream, as for a unary Search of the same query.
      const deadlineAt = Date.now() + budget;
      let sent = 0;
      while (sent < q.limit) {
        const pageSize = Math.min(sent === 0 ? STREAM_FIRST_PAGE : STREAM_PAGE, q.limit - sent);
        const res = await searchWithDeadline(backend, q, { limit: pageSize, offset: q.offset + sent }, ctx, deadlineAt, budget);
        for (const h of res.hits) yield toPb(h);
        sent += res.hits.length;
        if (res.hits.length < pageSize || q.offset + sent >= res.total) break;
      }
    },

    async getStatus() {
      const extra = opts.status?.() ?? {};
      const tracks = opts.backend ? await opts.backend.trackCount() : 0;
      return create(StatusResponseSchema, {
        version: pkg.version,
        uptimeSecs: BigInt(Math.floor((Date.now() - startedAt) / 1000)),
        // `serve` alone has no mount; a mount process reports its own state through `status`.
        state: MountState.MOUNT_UNKNOWN,
        ...extra,
        filesIndexed: BigInt(tracks),
        origins: (opts.origins?.list() ?? []).map((o) => create(OriginStatusSchema, { id: o.id, originType: o.type, health: HEALTH[o.health], filesCount: BigInt(o.filesCount) })),
      });
    },

    async shutdown(req) {
      if (!opts.onShutdown) unimplemented("Shutdown", "remote shutdown of this process");
      if (!opts.allowShutdown) {
        throw new ConnectError("Shutdown needs a server started with --token, or a call over its Unix socket", Code.PermissionDenied);
      }
      const onShutdown = opts.onShutdown;
      // Answer first, then stop: the caller gets its reply before the connection drains.
      setTimeout(() => onShutdown({ graceful: req.graceful, timeoutSecs: req.timeoutSecs }), 10);
      return create(EmptySchema);
    },

    getCacheStats() {
      if (!opts.origins) unimplemented("GetCacheStats", "the local chunk cache (start with --config)");
      const s = requireCache(opts.origins).getCacheStats();
      const lookups = s.hits + s.misses;
      return create(CacheStatsSchema, {
        totalSizeBytes: BigInt(s.maxBytes),
        usedSizeBytes: BigInt(s.sizeBytes),
        sizeLimitBytes: BigInt(s.maxBytes),
        chunkCount: BigInt(s.chunks),
        // Blocks are stored by content: identical blocks of several copies are one chunk.
        chunksUnique: BigInt(s.chunks),
        dedupRatio: 1,
        hitCount: BigInt(s.hits),
        missCount: BigInt(s.misses),
        hitRatio: lookups > 0 ? s.hits / lookups : 0,
        l3Chunks: create(TierStatsSchema, { entries: BigInt(s.chunks), sizeBytes: BigInt(s.sizeBytes), hits: BigInt(s.hits), misses: BigInt(s.misses) }),
      });
    },
    clearCache(req) {
      if (!opts.origins) unimplemented("ClearCache", "the local chunk cache (start with --config)");
      const cache = requireCache(opts.origins);
      if (req.originId) {
        throw new ConnectError("ClearCache by origin is not supported: cached blocks are stored by content and shared by every copy of a track; clear the whole cache", Code.InvalidArgument);
      }
      const before = cache.getCacheStats();
      // There is no separate metadata cache (tags live in the catalog): clear_metadata alone clears nothing.
      if (req.clearMetadata && !req.clearChunks) return create(ClearCacheResponseSchema, {});
      cache.clearCache();
      return create(ClearCacheResponseSchema, { bytesCleared: BigInt(before.sizeBytes), chunksCleared: BigInt(before.chunks) });
    },
    // Streaming stubs: generators so the error travels as a proper stream status.
    // Whole tracks into the chunk cache, one progress message per track (paths on an origin, in a
    // mount, or "#<id>"). Unknown paths are refused before anything is fetched.
    async *prefetch(req, ctx: HandlerContext) {
      if (!opts.prefetch) unimplemented("Prefetch", "prefetching into the chunk cache (in mount --config --serve)");
      if (req.paths.length === 0) throw new ConnectError("paths cannot be empty", Code.InvalidArgument);
      if (req.paths.length > MAX_PREFETCH_PATHS) throw new ConnectError(`at most ${MAX_PREFETCH_PATHS} paths per call, got ${req.paths.length}`, Code.InvalidArgument);
      for await (const p of opts.prefetch.run(req.paths, ctx.signal)) {
        if (p.error) throw new ConnectError(`prefetch of ${JSON.stringify(p.path)} failed: ${p.error}`, p.error === "no such track" ? Code.NotFound : Code.Unavailable);
        yield create(PrefetchProgressSchema, { currentPath: p.path, completed: p.completed, total: p.total, bytesFetched: BigInt(p.bytes) });
      }
    },
    listOrigins() {
      if (!opts.origins) unimplemented("ListOrigins", "the origins subsystem (start with --config)");
      return create(OriginsResponseSchema, {
        origins: opts.origins.list().map((o) =>
          create(OriginInfoSchema, {
            id: o.id, originType: o.type, displayName: o.displayName, rootPath: o.rootPath, health: HEALTH[o.health],
            filesCount: BigInt(o.filesCount), totalSizeBytes: BigInt(o.totalSizeBytes),
          }),
        ),
      });
    },
    async getOriginHealth(req) {
      if (!opts.origins) unimplemented("GetOriginHealth", "the origins subsystem (start with --config)");
      if (!req.originId) throw new ConnectError("origin_id is required", Code.InvalidArgument);
      const p = await opts.origins.probe(req.originId);
      if (!p) throw new ConnectError(`no origin with id ${JSON.stringify(req.originId)}`, Code.NotFound);
      return create(OriginHealthResponseSchema, { originId: p.id, status: HEALTH[p.health], message: p.message, lastCheckSecs: BigInt(p.lastCheckSecs) });
    },
    async *rescanOrigin() {
      unimplemented("RescanOrigin", "the origins subsystem (scanner)");
    },
    async *subscribeEvents(req, ctx: HandlerContext) {
      if (!opts.events) unimplemented("SubscribeEvents", "the event bus (in mount --serve, and serve --config)");
      const sub = opts.events.subscribe({ eventTypes: req.eventTypes, originId: req.originId });
      const stop = () => sub.close();
      ctx.signal.addEventListener("abort", stop);
      try {
        for await (const e of sub) {
          yield create(EventSchema, { eventType: e.eventType, timestampMs: BigInt(e.timestampMs), originId: e.originId, path: e.path, fileId: e.fileId === undefined ? undefined : BigInt(e.fileId), metadata: e.metadata });
        }
      } finally {
        ctx.signal.removeEventListener("abort", stop);
        sub.close();
      }
    },
  };
}

/** Registers both musicfs.v1 services on a router. */
export function registerMusicfsServices(router: ConnectRouter, opts: MusicfsServiceOptions): void {
  router.service(MusicFS, musicfsService(opts));
  router.service(MetadataService, metadataService(opts.metadata, unimplemented, opts.backend?.getTrack?.bind(opts.backend)));
}
