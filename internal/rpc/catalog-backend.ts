// SearchBackend over the real catalog (internal/catalog) and search engine (internal/search).
// Only mapping lives here: rows and queries are the catalog's and the search package's business.
import type { Database } from "bun:sqlite";
import { Code, ConnectError } from "@connectrpc/connect";
import { getTrackByPath, trackCount, type Track } from "../catalog/index.ts";
import { search as searchCatalog } from "../search/index.ts";
import type { SearchBackend, SearchOptions, SearchResult, TrackInfo } from "./backend.ts";

/** The search engine as this adapter needs it; `null` leaves Search UNAVAILABLE. */
export type CatalogSearch = (db: Database, query: string, opts: SearchOptions) => SearchResult | Promise<SearchResult>;

/**
 * internal/search (FTS5; synchronous, so the 5 s deadline can only discard a late answer, see
 * search.ts). Its QueryError is named "QuerySyntaxError" and carries `position`, which the RPC
 * layer turns into INVALID_ARGUMENT without importing it.
 */
export const ftsSearch: CatalogSearch = (db, query, opts) => {
  const r = searchCatalog(db, query, { limit: opts.limit, offset: opts.offset, sort: opts.sort });
  return {
    total: r.total,
    tookMs: r.tookMs,
    hits: r.hits.map((h) => ({ id: h.id, path: h.path, title: h.title, artist: h.artist, album: h.album, score: h.score ?? 0 })),
  };
};

export function trackInfo(t: Track): TrackInfo {
  return {
    id: t.id,
    path: t.path,
    title: t.title,
    artist: t.artist,
    album: t.album,
    albumArtist: t.albumArtist,
    genre: t.genre,
    year: t.year,
    trackNo: t.trackNo,
    discNo: t.discNo,
    format: t.format,
    durationMs: t.durationMs,
    bitrate: t.bitrate,
  };
}

export function catalogBackend(db: Database, search: CatalogSearch | null = ftsSearch, origin = "local"): SearchBackend {
  return {
    search(query, opts) {
      if (!search) throw new ConnectError("full-text search is not available in this server", Code.Unavailable);
      // The catalog holds one origin; a filter naming another one matches nothing.
      if (opts.originId !== undefined && opts.originId !== origin) return { hits: [], total: 0, tookMs: 0 };
      return search(db, query, opts);
    },
    trackCount: () => trackCount(db),
    // serve builds no virtual tree, so the lookup is by the path on the origin.
    getTrack: (path) => {
      const t = getTrackByPath(db, path, origin);
      return t ? trackInfo(t) : null;
    },
  };
}
