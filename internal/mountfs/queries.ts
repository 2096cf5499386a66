// Search folders: /.search/<query>/ lists `NNN. Artist - Title.ext` entries for the hits.
// A query folder's inode is a hash of its text; the text itself is kept in the catalog
// (mount_queries) because the kernel may look a query up in one FUSE worker and list it in another.
// For the same reason the results an opendir computed are kept there briefly (mount_query_results):
// the READDIRs that follow often reach the other worker, which would otherwise run the query again.
import type { Database } from "bun:sqlite";
import { errno } from "../fuse/index.ts";
import { QueryError, search, type SortKey } from "../search/index.ts";
import { sanitizeName } from "../vfs/index.ts";
import { SPECIAL_SQL, type SpecialListing } from "./collections.ts";
import { queryIno } from "./inodes.ts";

export interface ResultEntry {
  name: string;
  trackId: number;
}

/** Results are reused for lookups within this window; each opendir runs the query afresh. */
const RESULT_TTL_MS = 5000;

export class QueryRunner {
  private readonly known = new Map<number, string>();
  private readonly cache = new Map<number, { at: number; entries: ResultEntry[] }>();

  constructor(
    private readonly db: Database,
    private readonly limit: number,
  ) {
    db.run("CREATE TABLE IF NOT EXISTS mount_queries (ino INTEGER PRIMARY KEY, query TEXT NOT NULL)");
    db.run("CREATE TABLE IF NOT EXISTS mount_query_results (ino INTEGER PRIMARY KEY, at INTEGER NOT NULL, entries TEXT NOT NULL)");
  }

  /**
   * Checks a query folder name; 0 when it is a valid query (even with no hits), else -EINVAL.
   * A sort order other than relevance (collections) is part of the key: `query NUL sort`, which
   * no folder name can spell (FUSE names never hold NUL).
   */
  register(query: string, sort?: SortKey, special?: SpecialListing, trusted = false): number {
    query = queryKey(query, sort, special);
    const ino = queryIno(query);
    if (this.known.get(ino) === query) return 0;
    try {
      // Collections were checked when the mount started; running them here would cost a search.
      if (!special && !trusted) this.run(query, 1);
    } catch (e) {
      if (e instanceof QueryError) return -errno.EINVAL;
      throw e;
    }
    this.known.set(ino, query);
    this.db.query("INSERT OR REPLACE INTO mount_queries (ino, query) VALUES (?, ?)").run(ino, query);
    return 0;
  }

  queryOf(ino: number): string | null {
    const known = this.known.get(ino);
    if (known !== undefined) return known;
    const row = this.db.query("SELECT query FROM mount_queries WHERE ino = ?").get(ino) as { query: string } | null;
    if (row) this.known.set(ino, row.query);
    return row?.query ?? null;
  }

  /** The entries of a query folder, or null if the inode is unknown. */
  results(ino: number, fresh = false): ResultEntry[] | null {
    const query = this.queryOf(ino);
    if (query === null) return null;
    const now = Date.now();
    const cached = fresh ? undefined : (this.cache.get(ino) ?? this.shared(ino));
    if (cached && now - cached.at < RESULT_TTL_MS) return cached.entries;
    let entries: ResultEntry[];
    try {
      entries = this.run(query, this.limit);
    } catch (e) {
      if (e instanceof QueryError) return [];
      throw e;
    }
    this.cache.set(ino, { at: now, entries });
    try {
      this.db.query("INSERT OR REPLACE INTO mount_query_results (ino, at, entries) VALUES (?, ?, ?)").run(ino, now, JSON.stringify(entries));
    } catch {
      /* a busy catalog: the other worker runs the query itself */
    }
    return entries;
  }

  /** Results another worker computed for this folder (see the header). */
  private shared(ino: number): { at: number; entries: ResultEntry[] } | undefined {
    const r = this.db.query("SELECT at, entries FROM mount_query_results WHERE ino = ?").get(ino) as { at: number; entries: string } | null;
    if (!r) return undefined;
    const hit = { at: r.at, entries: JSON.parse(r.entries) as ResultEntry[] };
    this.cache.set(ino, hit);
    return hit;
  }

  private run(key: string, limit: number): ResultEntry[] {
    const [query, sort] = key.split("\0") as [string, string | undefined];
    const hits =
      query === "" && sort && sort in SPECIAL_SQL
        ? (this.db.query(SPECIAL_SQL[sort as SpecialListing]).all(limit) as { id: number; artist: string | null; title: string | null; format: string }[])
        : search(this.db, query, { limit, sort: sort as SortKey | undefined, count: false }).hits;
    const width = Math.max(3, String(hits.length).length);
    return hits.map((t, i) => {
      const ext = (t.format || "bin").toLowerCase();
      const label = `${String(i + 1).padStart(width, "0")}. ${t.artist || "Unknown"} - ${t.title || "Unknown"}.${ext}`;
      return { name: sanitizeName(label), trackId: t.id };
    });
  }
}

/** The stored key of a query folder (see register). */
export function queryKey(query: string, sort?: SortKey, special?: SpecialListing): string {
  if (special) return `\0${special}`;
  return sort && sort !== "relevance" ? `${query}\0${sort}` : query;
}
