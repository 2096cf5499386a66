// Fuzzy terms (metalica~1): the FTS vocabulary (fts5vocab) filtered by edit distance, then OR-ed.
// Transpositions cost 1 (optimal string alignment), as in tantivy's FuzzyTermQuery.
import type { Database } from "bun:sqlite";

/** Max vocabulary terms a fuzzy term expands to (closest first), so one term stays cheap. */
export const MAX_EXPANSIONS = 64;

/** OSA distance, or max+1 as soon as it must exceed `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n];
}

interface Vocabulary {
  version: string;
  /** Terms grouped by length (in UTF-16 units, as compared). */
  byLength: Map<number, string[]>;
}

const cache = new WeakMap<Database, Vocabulary>();

/**
 * The FTS vocabulary, cached per connection. Listing it through fts5vocab reads every doclist
 * (~0.4 s at 1 M tracks), so it is read once and reused until the catalog changes: data_version
 * moves when another connection commits, total_changes() when this one writes.
 */
function vocabulary(db: Database): Vocabulary {
  const v = db.query("SELECT (SELECT data_version FROM pragma_data_version) || ':' || total_changes() AS v").get() as { v: string };
  const hit = cache.get(db);
  if (hit && hit.version === v.v) return hit;
  const byLength = new Map<number, string[]>();
  for (const { term } of db.query("SELECT term FROM tracks_vocab").all() as { term: string }[]) {
    const list = byLength.get(term.length);
    if (list) list.push(term);
    else byLength.set(term.length, [term]);
  }
  const vocab = { version: v.v, byLength };
  cache.set(db, vocab);
  return vocab;
}

/** Vocabulary terms within `distance` of `term` (already folded), closest first. */
export function expandFuzzy(db: Database, term: string, distance: number): string[] {
  const { byLength } = vocabulary(db);
  const hits: { term: string; d: number }[] = [];
  for (let len = term.length - distance; len <= term.length + distance; len++) {
    for (const t of byLength.get(len) ?? []) {
      const d = editDistance(term, t, distance);
      if (d <= distance) hits.push({ term: t, d });
    }
  }
  hits.sort((x, y) => x.d - y.d || (x.term < y.term ? -1 : 1));
  return hits.slice(0, MAX_EXPANSIONS).map((h) => h.term);
}
