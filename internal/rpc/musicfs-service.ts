// musicfs.v1.MusicFS and musicfs.v1.MetadataService. Search, SearchStream, GetStatus and
// Shutdown are real; the methods of subsystems that do not exist yet (origins, chunk cache, event
// bus, metadata overlay) answer UNIMPLEMENTED with a message naming the missing piece, never
// made-up numbers that a client could mistake for a healthy system.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import pkg from "../../package.json" with { type: "json" };
import {
  EmptySchema,
  MetadataResponseSchema,
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
        origins: [],
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

    getCacheStats: () => unimplemented("GetCacheStats", "the local chunk cache"),
    clearCache: () => unimplemented("ClearCache", "the local chunk cache"),
    // Streaming stubs: generators so the error travels as a proper stream status.
    async *prefetch() {
      unimplemented("Prefetch", "the local chunk cache");
    },
    listOrigins: () => unimplemented("ListOrigins", "the origins subsystem (local/NFS/SMB/S3/SFTP backends)"),
    getOriginHealth: () => unimplemented("GetOriginHealth", "the origins subsystem (health monitor)"),
    async *rescanOrigin() {
      unimplemented("RescanOrigin", "the origins subsystem (scanner)");
    },
    async *subscribeEvents() {
      unimplemented("SubscribeEvents", "the event bus");
    },
  };
}

export function metadataService(opts: MusicfsServiceOptions): Partial<ServiceImpl<typeof MetadataService>> {
  const overlay = "the metadata overlay (tag edits served in synthesised headers)";
  return {
    async getMetadata(req) {
      const lookup = opts.backend?.getTrack?.bind(opts.backend);
      if (!lookup) unimplemented("GetMetadata", "track lookup in the catalog");
      if (req.virtualPath === "") throw new ConnectError("virtual_path cannot be empty", Code.InvalidArgument);
      const t = await lookup(req.virtualPath);
      if (!t) throw new ConnectError(`no track at ${JSON.stringify(req.virtualPath)}`, Code.NotFound);
      const num = (v: number | null | undefined) => (v === null || v === undefined ? undefined : v);
      return create(MetadataResponseSchema, {
        fileId: BigInt(t.id),
        title: t.title ?? undefined,
        artist: t.artist ?? undefined,
        album: t.album ?? undefined,
        albumArtist: t.albumArtist ?? undefined,
        year: num(t.year),
        track: num(t.trackNo),
        disc: num(t.discNo),
        genre: t.genre ?? undefined,
        format: t.format ?? undefined,
        durationMs: t.durationMs === null || t.durationMs === undefined ? undefined : BigInt(Math.round(t.durationMs)),
        bitrate: t.bitrate === null || t.bitrate === undefined ? undefined : BigInt(Math.round(t.bitrate)),
      });
    },
    updateMetadata: () => unimplemented("UpdateMetadata", overlay),
    clearOverlay: () => unimplemented("ClearOverlay", overlay),
    async *batchUpdateMetadata() {
      unimplemented("BatchUpdateMetadata", overlay);
    },
    async *importMetadata() {
      unimplemented("ImportMetadata", overlay);
    },
  };
}

/** Registers both musicfs.v1 services on a router. */
export function registerMusicfsServices(router: ConnectRouter, opts: MusicfsServiceOptions): void {
  router.service(MusicFS, musicfsService(opts));
  router.service(MetadataService, metadataService(opts));
}
