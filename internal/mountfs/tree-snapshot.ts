// The mounted tree, persisted in the catalog and read lazily. Rendering 100 000 paths through the
// template takes most of a second, and every FUSE worker would do it before the mount could
// answer. So the rendered tree (inode, parent, name, track) is stored once per catalog state and
// per tree key (template and origins), by `musicfs scan` or by the first mount that finds it
// stale; later mounts only check the catalog's signature and then answer each LOOKUP, GETATTR
// and READDIR with an indexed query, keeping what they read. Inodes are the tree's own (files:
// catalog id; folders: a hash of their path), so they stay stable across remounts as before.
// The user's namespace edits (namespace.ts) are part of the tree: folders made, files moved, and
// the trash as the folder /.trash (looked up, not listed, like /.search). An edit changes the
// stored rows of the mount's tree in place and moves the signature on, so other trees rebuild.
import type { Database } from "bun:sqlite";
import { allTracks, rowToTrack, trackSelectList, type Track } from "../catalog/track.ts";
import { DEFAULT_TEMPLATE, FILE_INO_BASE, ROOT_INO, TRASH_DIR, VfsTree, type VfsDir, type VfsFile, type VfsNode } from "../vfs/index.ts";
import { groupCopies, Locations, type OriginSummary } from "./locations.ts";
import { ensureNamespaceSchema, loadEdits, namespaceGeneration } from "./ns-store.ts";
import type { TreeRow } from "./tree-rows.ts";

/** One child as READDIR needs it: no track row, only what its attributes need. */
export interface DirEntry {
  name: string;
  ino: number;
  kind: "file" | "dir";
  size: number;
  mtimeMs: number;
  /** The track carries embedded art (the folder then shows cover files). */
  hasCover: boolean;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS mount_tree_meta (key TEXT PRIMARY KEY, sig TEXT NOT NULL, nodes INTEGER NOT NULL, built_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS mount_tree (
    key      TEXT    NOT NULL,
    ino      INTEGER NOT NULL,
    parent   INTEGER NOT NULL,
    name     TEXT    NOT NULL,
    track_id INTEGER,
    mtime_ms INTEGER NOT NULL,
    PRIMARY KEY (key, ino)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS mount_tree_children ON mount_tree (key, parent, name);
`;

/**
 * The catalog state a snapshot was built from: its generation, which every insert, update and
 * delete of a track bumps (schema 3 triggers), and the namespace's, which every edit bumps.
 * Two rows read, whatever the catalog's size.
 */
export function catalogSignature(db: Database): string {
  const r = db.query("SELECT gen FROM catalog_generation WHERE id = 1").get() as { gen: number } | null;
  return `g${r?.gen ?? 0}n${namespaceGeneration(db)}`;
}

/** A tree's identity: the template and whatever decides which rows show (origins). */
export function snapshotKey(template: string, originsIdentity: string): string {
  return Bun.hash.xxHash3(`${template}\0${originsIdentity}`).toString(16);
}

/**
 * Makes sure the snapshot `key` matches the catalog's current signature, building it with
 * `build` (the in-memory tree) when it does not. Returns whether it built, and the signature the
 * snapshot stands for. Several workers may call this at once: the first takes the write lock and
 * builds, the others then find it fresh.
 */
export function ensureSnapshot(db: Database, key: string, build: () => VfsTree<Track>): { built: boolean; sig: string } {
  if (!db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mount_tree'").get()) db.exec(SCHEMA);
  ensureNamespaceSchema(db);
  let sig = catalogSignature(db);
  const fresh = () => (db.query("SELECT sig FROM mount_tree_meta WHERE key = ?").get(key) as { sig: string } | null)?.sig === sig;
  if (fresh()) return { built: false, sig };
  let built = false;
  db.transaction(() => {
    sig = catalogSignature(db);
    if (fresh()) return;
    const tree = build();
    db.query("DELETE FROM mount_tree WHERE key = ?").run(key);
    const ins = db.query("INSERT INTO mount_tree (key, ino, parent, name, track_id, mtime_ms) VALUES (?, ?, ?, ?, ?, ?)");
    let nodes = 0;
    for (const n of tree.allNodes()) {
      ins.run(key, n.ino, n.parent, n.name, n.kind === "file" ? n.track.id : null, n.kind === "file" ? n.track.mtimeMs : n.mtimeMs);
      nodes++;
    }
    db.query("INSERT OR REPLACE INTO mount_tree_meta (key, sig, nodes, built_at) VALUES (?, ?, ?, ?)").run(key, sig, nodes, Date.now());
    built = true;
  }).immediate();
  return { built, sig };
}

/** The keys of the stored trees that match the catalog state `sig`. */
export function storedTreesAt(db: Database, sig: string): string[] {
  if (!db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mount_tree_meta'").get()) return [];
  return (db.query("SELECT key FROM mount_tree_meta WHERE sig = ?").all(sig) as { key: string }[]).map((r) => r.key);
}

/** A folder whose children are read from the snapshot when first asked for. */
class LazyDir implements VfsDir {
  readonly kind = "dir" as const;
  private loaded: { names: string[]; children: Map<string, number> } | null = null;
  constructor(
    private readonly snap: TreeSnapshot,
    readonly ino: number,
    readonly parent: number,
    readonly name: string,
    readonly mtimeMs: number,
  ) {}
  private load() {
    if (!this.loaded) {
      const children = new Map<string, number>();
      for (const e of this.snap.entries(this.ino)) children.set(e.name, e.ino);
      this.loaded = { names: [...children.keys()], children };
    }
    return this.loaded;
  }
  get names(): string[] {
    return this.load().names;
  }
  get children(): Map<string, number> {
    return this.load().children;
  }
}

/** Read side of a snapshot: the same questions VfsTree answers, each from an indexed query. */
export class TreeSnapshot {
  private readonly cache = new Map<number, VfsNode<Track>>();
  private readonly folderRows = new Map<number, TreeRow>();
  private readonly listings = new Map<number, DirEntry[]>();
  private readonly byIno;
  private readonly byName;
  private readonly children;
  private readonly track;
  readonly size: number;
  /** The trash folder's inode (0: none), found when first needed. */
  private trashIno = -1;

  constructor(
    private readonly db: Database,
    private readonly key: string,
    private readonly adapt: (t: Track) => Track = (t) => t,
  ) {
    this.byIno = db.query<TreeRow, [string, number]>("SELECT ino, parent, name, track_id, mtime_ms FROM mount_tree WHERE key = ? AND ino = ?");
    // INDEXED BY: without statistics SQLite would rather range-scan the primary key (every row of
    // the tree) than use the (key, parent, name) index.
    this.byName = db.query<TreeRow, [string, number, string]>("SELECT ino, parent, name, track_id, mtime_ms FROM mount_tree INDEXED BY mount_tree_children WHERE key = ? AND parent = ? AND name = ?");
    this.children = db.query<{ ino: number; name: string; track_id: number | null; mtime_ms: number; size: number | null; has_cover: number | null }, [string, number]>(
      "SELECT m.ino, m.name, m.track_id, m.mtime_ms, t.size, t.has_cover FROM mount_tree m INDEXED BY mount_tree_children LEFT JOIN tracks t ON t.id = m.track_id WHERE m.key = ? AND m.parent = ? AND m.ino != m.parent ORDER BY m.name",
    );
    this.track = db.query(`SELECT ${trackSelectList("t")} FROM tracks t WHERE t.id = ?`);
    this.size = (db.query("SELECT nodes FROM mount_tree_meta WHERE key = ?").get(key) as { nodes: number } | null)?.nodes ?? 0;
  }

  private toNode(r: TreeRow): VfsNode<Track> | undefined {
    if (r.track_id === null) return new LazyDir(this, r.ino, r.parent, r.name, r.mtime_ms);
    const row = this.track.get(r.track_id) as Record<string, unknown> | null;
    if (!row) return undefined; // deleted since the snapshot: the next refresh rebuilds
    const file: VfsFile<Track> = { kind: "file", ino: r.ino, parent: r.parent, name: r.name, track: this.adapt(rowToTrack(row)) };
    return file;
  }

  node(ino: number): VfsNode<Track> | undefined {
    let n = this.cache.get(ino);
    if (n) return n;
    const r = this.byIno.get(this.key, ino);
    if (!r) return undefined;
    n = this.toNode(r);
    if (n) this.cache.set(ino, n);
    return n;
  }

  lookup(parent: number, name: string): VfsNode<Track> | undefined {
    const r = this.byName.get(this.key, parent, name);
    if (!r) return undefined;
    const cached = this.cache.get(r.ino);
    if (cached) return cached;
    const n = this.toNode(r);
    if (n) this.cache.set(r.ino, n);
    return n;
  }

  /** A folder's children in readdir order (name order), with what their attributes need. */
  entries(ino: number): DirEntry[] {
    let list = this.listings.get(ino);
    if (!list) {
      list = this.children.all(this.key, ino).map((c) => ({ name: c.name, ino: c.ino, kind: c.track_id === null ? "dir" : "file", size: c.size ?? 0, mtimeMs: c.mtime_ms, hasCover: c.has_cover === 1 }));
      // The trash is hidden like /.search: `find` or a backup of the mount must not see deleted music.
      if (ino === ROOT_INO) list = list.filter((e) => e.ino !== this.trashDir());
      this.listings.set(ino, list);
    }
    return list;
  }

  private trashDir(): number {
    if (this.trashIno < 0) this.trashIno = this.byName.get(this.key, ROOT_INO, TRASH_DIR)?.ino ?? 0;
    return this.trashIno;
  }

  /** Whether a node is the trash folder or inside it. */
  inTrash(ino: number): boolean {
    const trash = this.trashDir();
    if (trash === 0) return false;
    for (let n = this.node(ino); n && n.ino !== ROOT_INO; n = this.node(n.parent)) if (n.ino === trash) return true;
    return false;
  }

  pathOf(ino: number): string {
    const parts: string[] = [];
    for (let n = this.node(ino); n && n.ino !== ROOT_INO; n = this.node(n.parent)) parts.push(n.name);
    return "/" + parts.reverse().join("/");
  }

  /**
   * Where a track's file is (a path from the root) and its mtime, from tree rows alone: search and
   * collection folders link 1000 results at a time, and loading each track's row cost most of it.
   * Undefined for a track in the trash (results skip it) or not in the tree.
   */
  fileLink(trackId: number): { path: string; mtimeMs: number } | undefined {
    const r = this.row(FILE_INO_BASE + trackId);
    if (!r || r.track_id === null) return undefined;
    const trash = this.trashDir();
    const parts = [r.name];
    for (let p = r.parent; p !== ROOT_INO; ) {
      if (p === trash) return undefined;
      const up = this.row(p);
      if (!up) return undefined;
      parts.push(up.name);
      p = up.parent;
    }
    return { path: "/" + parts.reverse().join("/"), mtimeMs: r.mtime_ms };
  }

  /** A tree row by inode; folders' rows are kept (files are many and read once per listing). */
  private row(ino: number): TreeRow | undefined {
    const kept = this.folderRows.get(ino);
    if (kept) return kept;
    const r = this.byIno.get(this.key, ino) ?? undefined;
    if (r && r.track_id === null) this.folderRows.set(ino, r);
    return r;
  }

  /** The file of a track in the tree; a track in the trash has none (search results skip it). */
  fileOfTrack(trackId: number): VfsFile<Track> | undefined {
    const n = this.node(FILE_INO_BASE + trackId);
    return n?.kind === "file" && !this.inTrash(n.ino) ? n : undefined;
  }
}

/** A track without a known format shows as .bin (the template needs an extension). */
export function withFormat(t: Track): Track {
  return t.format ? t : { ...t, format: "bin" };
}

/**
 * The tree rendered in memory from every readable row, copies on several origins shown once, with
 * the namespace edits applied (moved files, user folders, the trash).
 */
export function buildVfsTree(db: Database, loc: Locations, template: string): VfsTree<Track> {
  const shown: Track[] = [];
  for (const g of groupCopies(allTracks(db), loc)) shown.push(withFormat(g[0]));
  return VfsTree.build(shown, template, loadEdits(db));
}

/**
 * What `musicfs scan` runs after a scan: the snapshot a mount with this template and these origins
 * will look for, so that mount starts without rendering anything. Returns true when it built.
 */
export function prebuildTree(db: Database, origins: OriginSummary[] = [], template = DEFAULT_TEMPLATE): boolean {
  return ensureSnapshot(db, snapshotKey(template, JSON.stringify(origins)), () => buildVfsTree(db, new Locations(origins), template)).built;
}
