// Smart collections (FR-15): /.collections/<name>/ are saved queries, listed like search folders
// (symlinks into the tree). Built in: "Recently Added" (the last 30 days, newest first) and one
// folder per decade present in the catalog, "Most Played" and "Recently Played" (from the mount's
// access log); more come from the config's [[collections]].
import type { Database } from "bun:sqlite";
import type { SortKey } from "../search/index.ts";
import { sanitizeName } from "../vfs/index.ts";

export interface CollectionDef {
  name: string;
  query: string;
  sort?: SortKey;
  /** A listing from the access log instead of a query (`query` is then empty). */
  special?: SpecialListing;
}

export type SpecialListing = "most-played" | "recently-played";

/** SQL of the special listings: id, artist, title, format of tracks, best first, `?` = limit. */
export const SPECIAL_SQL: Record<SpecialListing, string> = {
  "most-played": "SELECT t.id, t.artist, t.title, t.format FROM plays p JOIN tracks t ON t.id = p.track_id ORDER BY p.count DESC, p.last_at DESC LIMIT ?",
  "recently-played": "SELECT t.id, t.artist, t.title, t.format FROM plays p JOIN tracks t ON t.id = p.track_id ORDER BY p.last_at DESC LIMIT ?",
};

/** The built-ins for this catalog: decades are those that have tracks. */
export function builtinCollections(db: Database): CollectionDef[] {
  const out: CollectionDef[] = [
    { name: "Recently Added", query: "age:..29", sort: "added" },
    { name: "Most Played", query: "", special: "most-played" },
    { name: "Recently Played", query: "", special: "recently-played" },
  ];
  // Decade by decade along the year index (a dozen point lookups), not a DISTINCT over every row.
  const next = db.query<{ y: number | null }, [number]>("SELECT min(year) AS y FROM tracks WHERE year >= ? AND year <= 9999");
  for (let y = next.get(1000)?.y ?? null; y !== null; y = next.get(Math.floor(y / 10) * 10 + 10)?.y ?? null) {
    const d = Math.floor(y / 10) * 10;
    out.push({ name: `${d}s`, query: `year:${d}..${d + 9}`, sort: "artist" });
  }
  return out;
}

/** Built-ins, then configured collections (a configured name replaces a built-in), by folder name. */
export function collectionsByName(db: Database, configured: readonly CollectionDef[]): Map<string, CollectionDef> {
  const out = new Map<string, CollectionDef>();
  for (const c of [...builtinCollections(db), ...configured]) out.set(sanitizeName(c.name), c);
  return out;
}
