// Running a query: parse, compile, count, fetch one page in the requested order.
import type { Database } from "bun:sqlite";
import { rowToTrack, trackSelectList, type Track } from "../catalog/track.ts";
import { compileQuery } from "./compile.ts";
import { parseQuery } from "./parser.ts";

export type SortKey = "relevance" | "artist" | "album" | "year" | "title" | "added" | "path";
export const SORT_KEYS: readonly SortKey[] = ["relevance", "artist", "album", "year", "title", "added", "path"];

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;
/**
 * Broad-query guards (see docs/query-language.md). bm25 costs time per matching row (~5 µs at
 * 1 M tracks), so results are ranked only when some positive term has at least MIN_RANKED_TERM
 * characters and the word match yields at most RANK_CAP rows (so at most ~100 ms). Otherwise
 * "relevance" returns matches in catalog (id) order, which FTS5 yields without sorting, so a
 * LIMIT stops early.
 */
export const MIN_RANKED_TERM = 3;
export const RANK_CAP = 20_000;

export interface SearchOptions {
  limit?: number;
  offset?: number;
  sort?: SortKey;
  /** Only tracks from this origin (catalog `origin` column); all origins when undefined. */
  origin?: string;
  /** false: skip counting every match (total is then the hits' count); folders list one page only. */
  count?: boolean;
}

export interface SearchHit extends Track {
  /** bm25 relevance (higher is better) when the result is ranked, else null. */
  score: number | null;
}

export interface SearchResult {
  hits: SearchHit[];
  /** All matches, not only this page. */
  total: number;
  tookMs: number;
  /** True when hits are in bm25 order. */
  ranked: boolean;
}

const LIBRARY_ORDER = "t.artist IS NULL, t.artist COLLATE NOCASE, t.album COLLATE NOCASE, t.disc_no, t.track_no, t.id";
const ORDER: Record<Exclude<SortKey, "relevance">, string> = {
  artist: LIBRARY_ORDER,
  album: "t.album IS NULL, t.album COLLATE NOCASE, t.disc_no, t.track_no, t.id",
  year: "t.year IS NULL, t.year, " + LIBRARY_ORDER,
  title: "t.title IS NULL, t.title COLLATE NOCASE, t.id",
  added: "t.added_at DESC, t.id DESC",
  path: "t.path, t.id",
};

function checkInt(name: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${name} must be an integer from 0 to ${max}, got ${v}`);
  return v;
}

/** Throws QueryError for a bad query, RangeError for bad paging, CatalogError-free otherwise. */
function hasTrash(db: Database): boolean {
  return db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'namespace_trash'").get() !== null;
}

export function search(db: Database, query: string, opts: SearchOptions = {}): SearchResult {
  const t0 = performance.now();
  const limit = checkInt("limit", opts.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
  const offset = checkInt("offset", opts.offset ?? 0, Number.MAX_SAFE_INTEGER);
  const sort = opts.sort ?? "relevance";
  if (!SORT_KEYS.includes(sort)) throw new RangeError(`sort must be one of ${SORT_KEYS.join(", ")}, got ${sort}`);

  const q = compileQuery(db, parseQuery(query), query);
  const from = q.match ? "tracks_fts CROSS JOIN tracks t ON t.id = tracks_fts.rowid" : "tracks t";
  // Tracks removed in a mount (rm → /.trash) are not found either; the table exists once a mount edited.
  const trashed = hasTrash(db) ? " AND t.id NOT IN (SELECT track_id FROM namespace_trash)" : "";
  const where = (opts.origin === undefined ? q.where : `${q.where} AND t.origin = ?`) + trashed;
  const whereParams = opts.origin === undefined ? q.params : [...q.params, opts.origin];
  const cond = q.match ? `tracks_fts MATCH ? AND ${where}` : where;
  const params = q.match ? [q.match, ...whereParams] : whereParams;

  // bm25 is computed for every row the MATCH yields, before other filters apply, so the cap is
  // checked against the word match alone.
  const count = (sql: string, p: unknown[]) => (db.query(sql).get(...(p as never[])) as { n: number }).n;
  const matchCount = q.match ? count("SELECT count(*) AS n FROM tracks_fts WHERE tracks_fts MATCH ?", [q.match]) : 0;
  const counted = opts.count !== false;
  let total = !counted ? Number.MAX_SAFE_INTEGER : q.match && where === "1" ? matchCount : count(`SELECT count(*) AS n FROM ${from} WHERE ${cond}`, params);

  const ranked = sort === "relevance" && q.match !== null && q.longestTerm >= MIN_RANKED_TERM && matchCount <= RANK_CAP;
  let order: string;
  // Plain `ORDER BY rank` lets FTS5 sort internally; adding a tie-breaker costs a second sort.
  if (ranked) order = "tracks_fts.rank";
  else if (sort !== "relevance") order = ORDER[sort];
  // FTS5 yields rowids in order, so this needs no sort and LIMIT stops early.
  else order = q.match ? "tracks_fts.rowid" : LIBRARY_ORDER;

  const hits: SearchHit[] = [];
  if (total > offset && limit > 0) {
    const sql = `SELECT ${trackSelectList("t")}, ${ranked ? "tracks_fts.rank" : "NULL"} AS score FROM ${from} WHERE ${cond} ORDER BY ${order} LIMIT ? OFFSET ?`;
    for (const row of db.query(sql).all(...params, limit, offset) as Record<string, unknown>[]) {
      const hit = rowToTrack(row) as SearchHit;
      hit.score = typeof row.score === "number" ? -row.score : null;
      hits.push(hit);
    }
  }
  if (!counted) total = offset + hits.length;
  return { hits, total, tookMs: performance.now() - t0, ranked };
}
