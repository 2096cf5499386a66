// Opening the catalog: location, pragmas, migrations.
import { Database } from "bun:sqlite";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MIGRATIONS } from "./schema.ts";

export const SCHEMA_VERSION = MIGRATIONS.length;

/** `$XDG_DATA_HOME/musicfs/catalog.db`, falling back to `~/.local/share/musicfs/catalog.db`. */
export function defaultCatalogPath(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(env.HOME || os.homedir(), ".local", "share");
  return path.join(base, "musicfs", "catalog.db");
}

export class CatalogError extends Error {
  override name = "CatalogError";
}

export interface OpenOptions {
  readonly?: boolean;
}

/**
 * Opens (creating if needed) the catalog at `file` (default: defaultCatalogPath(); ":memory:" for
 * tests) and brings its schema up to date.
 */
export function openCatalog(file: string = defaultCatalogPath(), opts: OpenOptions = {}): Database {
  const memory = file === ":memory:";
  if (!memory && !opts.readonly) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = opts.readonly ? new Database(file, { readonly: true }) : new Database(file, { create: true, strict: true });
  try {
    db.run("PRAGMA busy_timeout = 5000");
    if (!opts.readonly) {
      // WAL: readers (mount, serve) never block the scanner; NORMAL is crash-safe in WAL mode
      // (a power cut can lose the last commits, never corrupt the file).
      if (!memory) db.run("PRAGMA journal_mode = WAL");
      db.run("PRAGMA synchronous = NORMAL");
    }
    db.run("PRAGMA foreign_keys = ON");
    // The default 2 MB page cache thrashes on FTS doclists of a large catalog; memory-mapped reads
    // avoid copying pages at all. Both are per connection and cost nothing for small catalogs.
    db.run("PRAGMA cache_size = -65536");
    db.run("PRAGMA mmap_size = 268435456");
    migrate(db, Boolean(opts.readonly));
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function currentVersion(db: Database): number {
  const has = db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!has) return 0;
  const row = db.query("SELECT version FROM schema_version").get() as { version: number } | null;
  return row?.version ?? 0;
}

function migrate(db: Database, readonly: boolean): void {
  const have = currentVersion(db);
  if (have > SCHEMA_VERSION) throw new CatalogError(`catalog schema version ${have} is newer than this musicfs supports (${SCHEMA_VERSION}); upgrade musicfs`);
  if (have === SCHEMA_VERSION) return;
  if (readonly) throw new CatalogError(`catalog schema version ${have} needs migration to ${SCHEMA_VERSION}; open it read-write once`);
  db.transaction(() => {
    db.run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    for (let v = have; v < SCHEMA_VERSION; v++) db.run(MIGRATIONS[v]);
    db.run("DELETE FROM schema_version");
    db.run("INSERT INTO schema_version (version) VALUES (?)", [SCHEMA_VERSION]);
  })();
}
