// SearchBackend over the real catalog (internal/catalog) and search engine (internal/search).
// Only mapping lives here: rows and queries are the catalog's and the search package's business.
import type { Database } from "bun:sqlite";
import { Code, ConnectError } from "@connectrpc/connect";
import { getTrackByPath, trackCount, type Track } from "../catalog/index.ts";
import type { SearchBackend, SearchOptions, SearchResult, TrackInfo } from "./backend.ts";

/** The search engine as this adapter needs it; internal/search is adapted to this in one place. */
export type CatalogSearch = (db: Database, query: string, opts: SearchOptions) => SearchResult | Promise<SearchResult>;

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

export function catalogBackend(db: Database, search: CatalogSearch | null, origin = "local"): SearchBackend {
  return {
    search(query, opts) {
      if (!search) throw new ConnectError("full-text search is not part of this build (no search index); GetStatus and GetMetadata still work", Code.Unavailable);
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
