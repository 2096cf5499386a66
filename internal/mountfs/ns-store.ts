// Where the namespace edits live: the user's folders, moved files and the trash, in the catalog
// next to the stored tree, created on first use like the tree's own tables (not a catalog
// migration, so they can be added without touching the schema; they could become migration 5).
// Rows of moved and trashed tracks go with their track (ON DELETE CASCADE): a file that vanished
// from its origin takes its edits along, and a later track that reuses the id starts clean.
import type { Database } from "bun:sqlite";
import type { TreeEdits } from "../vfs/index.ts";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS namespace_generation (id INTEGER PRIMARY KEY CHECK (id = 1), gen INTEGER NOT NULL);
  INSERT OR IGNORE INTO namespace_generation (id, gen) VALUES (1, 0);
  CREATE TABLE IF NOT EXISTS namespace_dirs (path TEXT PRIMARY KEY, ino INTEGER NOT NULL, mtime_ms INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS namespace_files (track_id INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE, path TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS namespace_files_path ON namespace_files(path);
  CREATE TABLE IF NOT EXISTS namespace_trash (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    track_id   INTEGER NOT NULL UNIQUE REFERENCES tracks(id) ON DELETE CASCADE,
    path       TEXT    NOT NULL,
    trashed_at INTEGER NOT NULL,
    purged_at  INTEGER
  );
  CREATE INDEX IF NOT EXISTS namespace_trash_path ON namespace_trash(path);
`;

const ready = new WeakSet<Database>();

/** Whether the tables exist (without creating them: readers may hold a read-only catalog). */
export function hasNamespace(db: Database): boolean {
  if (ready.has(db)) return true;
  if (!db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'namespace_generation'").get()) return false;
  ready.add(db);
  return true;
}

export function ensureNamespaceSchema(db: Database): void {
  if (!hasNamespace(db)) {
    db.exec(SCHEMA);
    ready.add(db);
  }
}

/** Bumped by every edit, so every stored tree (and every FUSE worker's view) goes stale. */
export function namespaceGeneration(db: Database): number {
  if (!hasNamespace(db)) return 0;
  return (db.query("SELECT gen FROM namespace_generation WHERE id = 1").get() as { gen: number } | null)?.gen ?? 0;
}

export function bumpNamespaceGeneration(db: Database): void {
  db.run("UPDATE namespace_generation SET gen = gen + 1 WHERE id = 1");
}

/** Every edit, as the tree builder takes them. */
export function loadEdits(db: Database): TreeEdits {
  if (!hasNamespace(db)) return { dirs: new Map(), placements: new Map(), trash: new Map(), hidden: new Set() };
  const dirs = new Map<string, { ino: number; mtimeMs: number }>();
  for (const r of db.query("SELECT path, ino, mtime_ms FROM namespace_dirs").all() as { path: string; ino: number; mtime_ms: number }[]) dirs.set(r.path, { ino: r.ino, mtimeMs: r.mtime_ms });
  const placements = new Map<number, string>();
  for (const r of db.query("SELECT track_id, path FROM namespace_files").all() as { track_id: number; path: string }[]) placements.set(r.track_id, r.path);
  const trash = new Map<number, string>();
  const hidden = new Set<number>();
  for (const r of db.query("SELECT track_id, path, purged_at FROM namespace_trash ORDER BY seq").all() as { track_id: number; path: string; purged_at: number | null }[]) {
    if (r.purged_at === null) trash.set(r.track_id, r.path);
    else hidden.add(r.track_id);
  }
  return { dirs, placements, trash, hidden };
}

/** One entry of the trash, as `musicfs trash list` shows it. */
export interface TrashEntry {
  /** Catalog id of the track. */
  id: number;
  /** Where it was when trashed (mount-relative, leading "/"). */
  path: string;
  trashedAt: number;
  artist: string | null;
  title: string | null;
  album: string | null;
}

/** Every path at or under `path`, as a range the primary key index answers ("a/" up to "a0"). */
const UNDER = "(path = ?1 OR (path >= ?1 || '/' AND path < ?1 || '0'))";

/** Row-level writes of the edits; the caller holds the transaction. */
export class NamespaceStore {
  constructor(private readonly db: Database) {
    ensureNamespaceSchema(db);
  }

  isUserDir(path: string): boolean {
    return this.db.query("SELECT 1 FROM namespace_dirs WHERE path = ?").get(path) !== null;
  }

  setDir(path: string, ino: number, mtimeMs: number): void {
    this.db.query("INSERT OR REPLACE INTO namespace_dirs (path, ino, mtime_ms) VALUES (?, ?, ?)").run(path, ino, mtimeMs);
  }

  removeDir(path: string): void {
    this.db.query("DELETE FROM namespace_dirs WHERE path = ?").run(path);
  }

  place(trackId: number, path: string): void {
    this.db.query("INSERT OR REPLACE INTO namespace_files (track_id, path) VALUES (?, ?)").run(trackId, path);
  }

  /** Folders and files stored at or under `from` move to `to` (a folder rename). */
  movePrefix(from: string, to: string): void {
    for (const table of ["namespace_dirs", "namespace_files"]) {
      this.db.query(`UPDATE ${table} SET path = ?2 || substr(path, length(?1) + 1) WHERE ${UNDER}`).run(from, to);
    }
  }

  trash(trackId: number, path: string, at: number): void {
    this.db.query("DELETE FROM namespace_files WHERE track_id = ?").run(trackId);
    this.db.query("INSERT OR REPLACE INTO namespace_trash (track_id, path, trashed_at) VALUES (?, ?, ?)").run(trackId, path, at);
  }

  /** Takes a track out of the trash and puts it at `path`. */
  untrash(trackId: number, path: string): void {
    this.db.query("DELETE FROM namespace_trash WHERE track_id = ?").run(trackId);
    this.place(trackId, path);
  }

  /** The trash, oldest first (emptied entries are not listed). */
  trashEntries(): TrashEntry[] {
    return (
      this.db
        .query(
          `SELECT n.track_id AS id, n.path AS path, n.trashed_at AS trashedAt, t.artist AS artist, t.title AS title, t.album AS album
           FROM namespace_trash n JOIN tracks t ON t.id = n.track_id WHERE n.purged_at IS NULL ORDER BY n.seq`,
        )
        .all() as TrashEntry[]
    ).map((e) => ({ ...e, path: "/" + e.path }));
  }

  /** Entries trashed from `path` or from under it (a folder); `path` without the leading "/". */
  trashedUnder(path: string): number[] {
    return (this.db.query(`SELECT track_id FROM namespace_trash WHERE purged_at IS NULL AND ${UNDER} ORDER BY seq`).all(path) as { track_id: number }[]).map((r) => r.track_id);
  }

  /** Where a track in the trash was trashed from (no leading "/"), or null. */
  trashedPath(trackId: number): string | null {
    return (this.db.query("SELECT path FROM namespace_trash WHERE track_id = ? AND purged_at IS NULL").get(trackId) as { path: string } | null)?.path ?? null;
  }

  isTrashed(trackId: number): boolean {
    return this.db.query("SELECT 1 FROM namespace_trash WHERE track_id = ? AND purged_at IS NULL").get(trackId) !== null;
  }

  /** Empties the trash: its tracks stay in the catalog, hidden (see namespace.ts). Returns how many. */
  purgeAll(at: number): number {
    return this.db.query("UPDATE namespace_trash SET purged_at = ? WHERE purged_at IS NULL").run(at).changes;
  }
}
