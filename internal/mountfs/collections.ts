// Smart collections (FR-15): /.collections/<name>/ are saved queries, listed like search folders
// (symlinks into the tree). Built in: "Recently Added" (the last 30 days, newest first) and one
// folder per decade present in the catalog; more come from the config's [[collections]].
import type { Database } from "bun:sqlite";
import type { SortKey } from "../search/index.ts";
import { sanitizeName } from "../vfs/index.ts";

export interface CollectionDef {
  name: string;
  query: string;
  sort?: SortKey;
}

/** The built-ins for this catalog: decades are those that have tracks. */
export function builtinCollections(db: Database): CollectionDef[] {
  const out: CollectionDef[] = [{ name: "Recently Added", query: "age:..29", sort: "added" }];
  const decades = db.query("SELECT DISTINCT (year / 10) * 10 AS d FROM tracks WHERE year BETWEEN 1000 AND 9999 ORDER BY d").all() as { d: number }[];
  for (const { d } of decades) out.push({ name: `${d}s`, query: `year:${d}..${d + 9}`, sort: "artist" });
  return out;
}

/** Built-ins, then configured collections (a configured name replaces a built-in), by folder name. */
export function collectionsByName(db: Database, configured: readonly CollectionDef[]): Map<string, CollectionDef> {
  const out = new Map<string, CollectionDef>();
  for (const c of [...builtinCollections(db), ...configured]) out.set(sanitizeName(c.name), c);
  return out;
}
