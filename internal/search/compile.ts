// AST → SQL. User text never enters SQL text: it is bound as parameters, and where it forms an
// FTS5 expression, that expression is built here (every term double-quoted) and bound too.
//
// Plan: top-level AND-ed parts that FTS5 can express (words, phrases, prefixes, fuzzy terms, and
// AND/OR/NOT of those) are merged into one MATCH on tracks_fts, which also provides bm25 ranking.
// Everything else (numbers, exact values, substrings, mixed ORs) becomes SQL predicates on the
// tracks row, with FTS/trigram lookups as `id IN (SELECT rowid ...)` subqueries.
import type { Database } from "bun:sqlite";
import type { Node, TextNode } from "./ast.ts";
import { QueryError } from "./errors.ts";
import { FIELDS } from "./fields.ts";
import { fold, ftsString, likeContains, tokens } from "./fold.ts";
import { expandFuzzy } from "./fuzzy.ts";

export type Param = string | number;

export interface CompiledQuery {
  /** FTS5 expression for `tracks_fts MATCH ?`, or null when nothing is FTS-expressible. */
  match: string | null;
  /** SQL condition over alias `t` ("1" when empty). */
  where: string;
  params: Param[];
  /** Longest positive term in `match`, in characters (ranking of very short terms is skipped). */
  longestTerm: number;
}

const FTS_DEFAULT = ["title", "artist", "album", "album_artist", "genre", "composer"];
const MB_COLUMNS = "t.mb_recording_id, t.mb_album_id, t.mb_artist_id, t.mb_album_artist_id, t.mb_release_group_id";
const YEAR_WORD = /^\d{4}$/;
/** Highest code point: a prefix range [p, p + MAX_CHAR) covers every string starting with p. */
const MAX_CHAR = String.fromCodePoint(0x10ffff);

interface Fragment {
  sql: string;
  params: Param[];
}

class Compiler {
  private readonly ftsCache = new Map<TextNode, string | null>();
  constructor(
    private readonly db: Database,
    private readonly query: string,
  ) {}

  private fail(msg: string, pos: number): never {
    throw new QueryError(msg, pos, this.query);
  }

  private column(n: TextNode): string | null {
    return n.field === null ? null : FIELDS[n.field].column;
  }

  /** FTS5 expression for a word-like leaf on FTS columns, or null. */
  private ftsLeaf(n: TextNode): string | null {
    if (this.ftsCache.has(n)) return this.ftsCache.get(n)!;
    let out: string | null = null;
    const isFtsField = n.field === null || FIELDS[n.field].kind === "fts";
    const bareYear = n.field === null && n.mode === "word" && YEAR_WORD.test(n.value);
    if (isFtsField && !bareYear && n.mode !== "exact" && n.mode !== "substring") {
      const toks = tokens(n.value);
      if (toks.length > 0) {
        let e: string;
        if (n.mode === "prefix") e = `${ftsString(n.value)}*`;
        else if (n.mode === "fuzzy") {
          if (toks.length !== 1) this.fail("fuzzy matching works on a single word", n.pos);
          const terms = n.distance === 0 ? [toks[0]] : [...new Set([toks[0], ...expandFuzzy(this.db, toks[0], n.distance)])];
          e = `(${terms.map(ftsString).join(" OR ")})`;
        } else e = ftsString(n.value);
        const col = this.column(n);
        out = col ? `{${col}} : ${e}` : e;
      }
    }
    this.ftsCache.set(n, out);
    return out;
  }

  /** FTS5 expression for a whole subtree, or null if any part needs SQL. */
  fts(n: Node): string | null {
    switch (n.kind) {
      case "text":
        return this.ftsLeaf(n);
      case "and": {
        const pos = n.items.filter((i) => i.kind !== "not");
        const neg = n.items.filter((i) => i.kind === "not");
        if (pos.length === 0) return null;
        const p = pos.map((i) => this.fts(i));
        const q = neg.map((i) => this.fts((i as { item: Node }).item));
        if (p.includes(null) || q.includes(null)) return null;
        return `(${p.map((e) => `(${e})`).join(" AND ")})${q.map((e) => ` NOT (${e})`).join("")}`;
      }
      case "or": {
        const p = n.items.map((i) => this.fts(i));
        if (p.includes(null)) return null;
        return `(${p.map((e) => `(${e})`).join(" OR ")})`;
      }
      default:
        return null;
    }
  }

  private substring(columns: string[], value: string): Fragment {
    if ([...value].length >= 3) {
      return { sql: "t.id IN (SELECT rowid FROM tracks_tri WHERE tracks_tri MATCH ?)", params: [`{${columns.join(" ")}} : ${ftsString(value)}`] };
    }
    // Trigrams need three characters; shorter substrings scan with LIKE (ASCII case-insensitive).
    return { sql: `(${columns.map((c) => `t.${c} LIKE ? ESCAPE '\\'`).join(" OR ")})`, params: columns.map(() => likeContains(value)) };
  }

  private textSql(n: TextNode): Fragment {
    const kind = n.field === null ? "fts" : FIELDS[n.field].kind;
    const col = this.column(n);
    if (kind === "fts") {
      if (n.mode === "exact") return { sql: `t.${col} = ? COLLATE NOCASE`, params: [n.value] };
      if (n.mode === "substring") return this.substring(col ? [col] : FTS_DEFAULT, n.value);
      const e = this.ftsLeaf(n);
      if (n.field === null && n.mode === "word" && YEAR_WORD.test(n.value)) {
        // A bare four-digit number: a word in the tags, or the year.
        return { sql: "(t.id IN (SELECT rowid FROM tracks_fts WHERE tracks_fts MATCH ?) OR t.year = ?)", params: [ftsString(n.value), Number(n.value)] };
      }
      if (e) return { sql: "t.id IN (SELECT rowid FROM tracks_fts WHERE tracks_fts MATCH ?)", params: [e] };
      if ([...n.value].length >= 3 && n.mode !== "fuzzy") return this.substring(col ? [col] : FTS_DEFAULT, n.value);
      this.fail(`'${n.value}' has no letters or digits to search for`, n.pos);
    }
    if (kind === "path") {
      if (n.mode === "exact") return { sql: "t.path = ?", params: [n.value] };
      if (n.mode === "prefix") return { sql: "(t.path >= ? AND t.path < ?)", params: [n.value, n.value + MAX_CHAR] };
      if (n.mode === "fuzzy") this.fail("path: does not take fuzzy terms", n.pos);
      return this.substring(["path"], n.value);
    }
    if (n.mode === "prefix" || n.mode === "substring" || n.mode === "fuzzy") this.fail(`${n.field}: takes an exact value`, n.pos);
    if (kind === "format") return { sql: "t.format = ?", params: [fold(n.value).replace(/^\./, "")] };
    return { sql: `? IN (${MB_COLUMNS})`, params: [n.value.toLowerCase()] };
  }

  sql(n: Node): Fragment {
    switch (n.kind) {
      case "all":
        return { sql: "1", params: [] };
      case "and":
      case "or": {
        const parts = n.items.map((i) => this.sql(i));
        return { sql: `(${parts.map((p) => p.sql).join(n.kind === "and" ? " AND " : " OR ")})`, params: parts.flatMap((p) => p.params) };
      }
      case "not": {
        const p = this.sql(n.item);
        return { sql: `NOT (${p.sql})`, params: p.params };
      }
      case "flag":
        return { sql: `t.${FIELDS[n.field].column} = ?`, params: [n.value ? 1 : 0] };
      case "range": {
        const def = FIELDS[n.field];
        const col = def.expr ? def.expr() : `t.${def.column}`;
        const s = def.scale;
        const parts: string[] = [];
        const params: Param[] = [];
        // Query units cover [v*s, v*s + s - 1] in column units (bitrate:320 = 320000..320999 bit/s).
        if (n.lo !== null) {
          parts.push(n.loInclusive ? `${col} >= ?` : `${col} > ?`);
          params.push(n.loInclusive ? n.lo * s : n.lo * s + s - 1);
        }
        if (n.hi !== null) {
          parts.push(n.hiInclusive ? `${col} <= ?` : `${col} < ?`);
          params.push(n.hiInclusive ? n.hi * s + s - 1 : n.hi * s);
        }
        if (parts.length === 0) parts.push(`${col} IS NOT NULL`);
        return { sql: `(${parts.join(" AND ")})`, params };
      }
      case "text":
        return this.textSql(n);
    }
  }
}

function longestTerm(n: Node): number {
  switch (n.kind) {
    case "text":
      return [...n.value].length;
    case "and":
    case "or":
      return Math.max(0, ...n.items.map(longestTerm));
    default:
      return 0;
  }
}

export function compileQuery(db: Database, root: Node, query = ""): CompiledQuery {
  const c = new Compiler(db, query);
  const conjuncts = root.kind === "and" ? root.items : [root];
  const positive: string[] = [];
  const negative: string[] = [];
  const fragments: Fragment[] = [];
  let longest = 0;
  for (const part of conjuncts) {
    if (part.kind === "all") continue;
    if (part.kind === "not") {
      const e = c.fts(part.item);
      if (e) negative.push(e);
      else fragments.push(c.sql(part));
      continue;
    }
    const e = c.fts(part);
    if (e) {
      positive.push(e);
      longest = Math.max(longest, longestTerm(part));
    } else fragments.push(c.sql(part));
  }
  let match: string | null = null;
  if (positive.length > 0) {
    match = `(${positive.map((e) => `(${e})`).join(" AND ")})${negative.map((e) => ` NOT (${e})`).join("")}`;
  } else {
    for (const e of negative) fragments.push({ sql: "t.id NOT IN (SELECT rowid FROM tracks_fts WHERE tracks_fts MATCH ?)", params: [e] });
  }
  return {
    match,
    where: fragments.length > 0 ? fragments.map((f) => f.sql).join(" AND ") : "1",
    params: fragments.flatMap((f) => f.params),
    longestTerm: longest,
  };
}
