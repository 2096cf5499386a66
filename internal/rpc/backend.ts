// What the RPC layer needs from the catalog and search engine. The rpc package knows no SQL:
// `musicfs serve` adapts internal/search to this interface (see catalog-backend.ts), and tests use
// an in-memory fake.

export type SearchSort = "relevance" | "path" | "artist" | "album" | "title" | "year";

export interface SearchOptions {
  limit: number;
  offset: number;
  sort: SearchSort;
  /** Restrict to one origin; undefined means all. */
  originId?: string;
  /** Aborted when the client gives up or the 5 s search deadline passes; long searches should stop. */
  signal?: AbortSignal;
}

export interface SearchHit {
  /** Catalog row id (the predecessor's file_id). */
  id: number | bigint;
  /** Path in the virtual tree (falls back to the origin path when no tree is built). */
  path: string;
  title?: string | null;
  artist?: string | null;
  album?: string | null;
  /** Higher is better; only comparable within one query. */
  score?: number;
  highlights?: Record<string, string>;
}

export interface SearchResult {
  hits: SearchHit[];
  /** All matches, not just this page. */
  total: number;
  tookMs: number;
}

/** One catalog track as MetadataService.GetMetadata reports it (tags as stored, no overlay). */
export interface TrackInfo {
  id: number | bigint;
  path: string;
  title?: string | null;
  artist?: string | null;
  album?: string | null;
  albumArtist?: string | null;
  genre?: string | null;
  year?: number | null;
  trackNo?: number | null;
  discNo?: number | null;
  format?: string | null;
  durationMs?: number | null;
  bitrate?: number | null;
}

export interface SearchBackend {
  search(query: string, opts: SearchOptions): SearchResult | Promise<SearchResult>;
  /** Number of tracks in the catalog, for GetStatus. */
  trackCount(): number | Promise<number>;
  /** Track lookup by virtual (or origin) path; optional, GetMetadata is UNIMPLEMENTED without it. */
  getTrack?(path: string): TrackInfo | null | Promise<TrackInfo | null>;
}

/**
 * A query the parser rejects. `position` is the 0-based character offset of the problem, so
 * clients can point at it. Backends may throw this, or any error with name "QuerySyntaxError"
 * (or "SearchSyntaxError") and a numeric `position`/`offset`.
 */
export class QuerySyntaxError extends Error {
  override name = "QuerySyntaxError";
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

/** Duck-typed so a backend need not import this package (dependencies point from rpc down). */
export function asSyntaxError(e: unknown): { message: string; position: number | undefined } | null {
  if (!(e instanceof Error)) return null;
  if (!/syntax|parse/i.test(e.name)) return null;
  const anyE = e as Error & { position?: unknown; offset?: unknown; pos?: unknown; column?: unknown };
  const pos = [anyE.position, anyE.offset, anyE.pos, anyE.column].find((v) => typeof v === "number") as number | undefined;
  return { message: e.message, position: pos };
}
