// Namespace edits of the mounted tree (issue 8, item 2): mkdir, mv of files and folders, rm to
// /.trash/<original path>, and restoring or emptying the trash. Origin files are never touched:
// every edit is rows in the catalog (ns-store.ts), applied on top of the template's tree by the
// tree builder (vfs/build.ts), so edits survive remounts and rescans.
//
// Each edit runs in one write transaction: it checks the request against the mount's stored tree
// (made fresh first), stores the edit, changes the few affected rows of that stored tree in place
// (tree-rows.ts) the way a rebuild would lay them out, and moves the namespace generation on, so
// every other FUSE worker sees a new signature and every other stored tree (another template or
// origins) rebuilds. Rebuilding instead would cost 1.4-2.5 s per edit at 100 000 tracks.
//
// What the edits mean:
// - A moved file is a placement: track id → path, instead of its template path; it stays there
//   when its tags change. Its inode (FILE_INO_BASE + id) never changes.
// - A moved folder takes everything in it along as the user sees it: its tracks become
//   placements and its folders user folders that keep their inode numbers (the kernel keeps the
//   inodes it knew across a rename). Tracks a later rescan adds at the old template path appear
//   there, not in the moved folder.
// - A folder an edit empties (the last file moved or trashed out of it) stays, as an empty user
//   folder, like on a disk, so `rm -r` can remove it after its files.
// - rm moves a track to /.trash/<path it had>; the trash is read-only except for moving a file
//   out of it (a restore to that path), `musicfs trash restore` and `musicfs trash empty`.
// - Emptying the trash hides its tracks for good: they stay in the catalog (the file is never
//   deleted) marked purged, so a rescan, which keeps their ids, does not bring them back. A track
//   whose file disappears from its origin takes its edits with it (rows cascade with the track).
// - Several stored trees (templates, origin sets) share one namespace: placements and folders
//   are paths, so they apply to every tree.
// Known limit: when two tracks render to the same path ("x.flac", "x (2).flac") and the first is
// moved away, the second keeps "x (2).flac" until the next full rebuild (a rescan) names it "x.flac".
import type { Database } from "bun:sqlite";
import type { Track } from "../catalog/index.ts";
import { DEFAULT_TEMPLATE, dirInoFor, FILE_INO_BASE, fileName, ROOT_INO, TRASH_DIR, type VfsTree } from "../vfs/index.ts";
import { Locations, type OriginSummary } from "./locations.ts";
import { checkName, inTrash, joinPath, NamespaceError, RESERVED_ROOT_NAMES, splitPath } from "./ns-paths.ts";
import { bumpNamespaceGeneration, NamespaceStore, type TrashEntry } from "./ns-store.ts";
import { TreeRows, type TreeRow } from "./tree-rows.ts";
import { buildVfsTree, catalogSignature, ensureSnapshot, snapshotKey, storedTreesAt } from "./tree-snapshot.ts";

export { NamespaceError, type TrashEntry };

/**
 * What the kernel may still cache wrongly after an edit, beyond the entries of the request itself
 * (the kernel updates those on a successful reply): send FUSE_NOTIFY_INVAL_ENTRY for each entry
 * and FUSE_NOTIFY_INVAL_INODE for each inode. Without notifications they expire with the entry
 * and attribute timeouts (1 s).
 */
export interface Invalidation {
  entries: { parent: number; name: string }[];
  inodes: number[];
}

export interface MkdirResult {
  ino: number;
  mtimeMs: number;
  invalidate: Invalidation;
}

export interface RestoreResult {
  id: number;
  /** Where it was trashed from. */
  from: string;
  /** Where it is now (`from`, or with a " (2)" suffix when that was taken). */
  to: string;
}

/**
 * Where an edit applies: a mount-relative path ("/Artist/Album"), or a folder's inode and a name in
 * it, as FUSE requests carry them (resolved inside the edit's transaction, so a worker whose view
 * is a moment old still edits the right entry).
 */
export type EntryRef = string | { parent: number; name: string };

const none = (): Invalidation => ({ entries: [], inodes: [] });

function fail(code: ConstructorParameters<typeof NamespaceError>[0], message: string): never {
  throw new NamespaceError(code, message);
}

/** The namespace edits of one mount's tree (its template and origins). */
export class Namespace {
  private readonly store: NamespaceStore;

  constructor(
    private readonly db: Database,
    /** The stored tree the edits are checked against and applied to (snapshotKey). */
    private readonly key: string,
    /** Builds that tree when it is stale (buildVfsTree with the mount's template and origins). */
    private readonly build: () => VfsTree<Track>,
  ) {
    this.store = new NamespaceStore(db);
  }

  /** The namespace of the tree a mount with this template and these origins shows. */
  static forTree(db: Database, template = DEFAULT_TEMPLATE, origins: OriginSummary[] = []): Namespace {
    const loc = new Locations(origins);
    return new Namespace(db, snapshotKey(template, JSON.stringify(origins)), () => buildVfsTree(db, loc, template));
  }

  private edit<R>(fn: (rows: TreeRows) => R): R {
    // A rebuild (after a rescan) commits on its own, so a refused edit does not throw it away.
    ensureSnapshot(this.db, this.key, this.build);
    return this.db
      .transaction(() => {
        ensureSnapshot(this.db, this.key, this.build);
        const rows = new TreeRows(this.db, this.key);
        const result = fn(rows);
        bumpNamespaceGeneration(this.db);
        rows.markFresh(catalogSignature(this.db));
        return result;
      })
      .immediate();
  }

  private segsOf(rows: TreeRows, ref: EntryRef): string[] {
    if (typeof ref === "string") return splitPath(ref);
    const segs = rows.segsOf(ref.parent) ?? fail("ENOENT", `folder inode ${ref.parent} is gone`);
    return [...segs, checkName(ref.name)];
  }

  private folderAt(rows: TreeRows, segs: readonly string[]): TreeRow {
    const row = rows.resolve(segs) ?? fail("ENOENT", `no such folder: /${joinPath(segs)}`);
    if (row.track_id !== null) fail("ENOTDIR", `not a folder: /${joinPath(segs)}`);
    return row;
  }

  /** A folder an edit just emptied stays, as a user folder (with its inode), like on a disk. */
  private keepIfEmptied(rows: TreeRows, ino: number, segs: readonly string[]): void {
    if (ino === ROOT_INO || inTrash(segs) || rows.hasChildren(ino)) return;
    const path = joinPath(segs);
    const row = rows.node(ino);
    if (row && !this.store.isUserDir(path)) this.store.setDir(path, row.ino, row.mtime_ms);
  }

  /** Makes folder `name` in `parent` (a path or a folder's inode). Its inode is kept for good. */
  mkdir(parent: string | number, name: string): MkdirResult {
    return this.edit((rows) => {
      const segs = this.segsOf(rows, typeof parent === "string" ? `${parent}/${checkName(name)}` : { parent, name });
      const parentSegs = segs.slice(0, -1);
      if (inTrash(parentSegs)) fail("EPERM", "the trash holds only what was removed");
      if (parentSegs.length === 0 && RESERVED_ROOT_NAMES.has(name)) fail("EEXIST", `/${name} is the mount's own`);
      const parentRow = this.folderAt(rows, parentSegs);
      if (rows.child(parentRow.ino, name)) fail("EEXIST", `/${joinPath(segs)} exists`);
      const path = joinPath(segs);
      const ino = dirInoFor(path, (i) => rows.inoTaken(i));
      const now = Date.now();
      this.store.setDir(path, ino, now);
      rows.insertDir(ino, parentRow.ino, name, now);
      return { ino, mtimeMs: now, invalidate: none() };
    });
  }

  /**
   * Moves a file or folder, with rename(2)'s rules, except that an existing file is never replaced
   * (EEXIST): a target must not exist, or be an empty folder when a folder moves (it is replaced).
   * `noReplace` (RENAME_NOREPLACE) refuses the empty folder too. A file moved out of the trash is
   * restored to the new path.
   */
  rename(oldRef: EntryRef, newRef: EntryRef, opts: { noReplace?: boolean } = {}): Invalidation {
    return this.edit((rows) => {
      const from = this.segsOf(rows, oldRef);
      const to = this.segsOf(rows, newRef);
      if (from.length === 0 || to.length === 0) fail("EBUSY", "the root cannot move");
      if (inTrash(to)) fail("EPERM", "nothing moves into the trash but with rm");
      if (inTrash(from) && from.length === 1) fail("EPERM", "the trash folder cannot move");
      const name = to[to.length - 1];
      const toDir = to.slice(0, -1);
      if (toDir.length === 0 && RESERVED_ROOT_NAMES.has(name)) fail("EEXIST", `/${name} is the mount's own`);
      const fromPath = joinPath(from);
      const toPath = joinPath(to);
      const src = rows.resolve(from) ?? fail("ENOENT", `no such file or folder: /${fromPath}`);
      const dst = this.folderAt(rows, toDir);
      const target = rows.child(dst.ino, name);
      if (inTrash(from)) {
        if (src.track_id === null) fail("EPERM", "a folder in the trash is restored with `musicfs trash restore`");
        if (target) fail("EEXIST", `/${toPath} exists`);
        return this.putBack(rows, src, dst, to);
      }
      if (fromPath === toPath) return none();
      if (src.track_id === null && toPath.startsWith(fromPath + "/")) fail("EINVAL", `cannot move /${fromPath} into itself`);
      if (target) {
        if (opts.noReplace || (src.track_id !== null && target.track_id !== null)) fail("EEXIST", `/${toPath} exists`);
        if (target.track_id === null && src.track_id !== null) fail("EISDIR", `/${toPath} is a folder`);
        if (target.track_id !== null) fail("ENOTDIR", `/${toPath} is a file`);
        if (rows.hasChildren(target.ino)) fail("ENOTEMPTY", `/${toPath} is not empty`);
        this.store.removeDir(toPath);
        rows.remove(target.ino);
      }
      if (src.track_id !== null) this.store.place(src.track_id, toPath);
      else this.pinMoved(rows, src, fromPath, toPath);
      rows.move(src.ino, dst.ino, name);
      this.keepIfEmptied(rows, src.parent, from.slice(0, -1));
      return none();
    });
  }

  /** A moved folder's contents, stored as the user sees them (see the header). */
  private pinMoved(rows: TreeRows, src: TreeRow, fromPath: string, toPath: string): void {
    // Stored edits below it first (also those of tracks this tree does not show), then the rest.
    this.store.movePrefix(fromPath, toPath);
    for (const r of rows.subtree(src.ino)) {
      const p = r.rel ? `${toPath}/${r.rel}` : toPath;
      if (r.track_id !== null) this.store.place(r.track_id, p);
      else this.store.setDir(p, r.ino, r.mtime_ms);
    }
  }

  /** What an rmdir or unlink names: an existing entry, not the root, not in the trash. */
  private removable(rows: TreeRows, ref: EntryRef, rootCode: "EBUSY" | "EISDIR"): { segs: string[]; row: TreeRow } {
    const segs = this.segsOf(rows, ref);
    if (segs.length === 0) fail(rootCode, "the root cannot be removed");
    if (inTrash(segs)) fail("EPERM", "the trash is emptied with `musicfs trash empty`");
    return { segs, row: rows.resolve(segs) ?? fail("ENOENT", `no such file or folder: /${joinPath(segs)}`) };
  }

  /** Removes an empty folder the user made (or one an edit emptied). */
  rmdir(ref: EntryRef): Invalidation {
    return this.edit((rows) => {
      const { segs, row } = this.removable(rows, ref, "EBUSY");
      if (row.track_id !== null) fail("ENOTDIR", `not a folder: /${joinPath(segs)}`);
      if (rows.hasChildren(row.ino)) fail("ENOTEMPTY", `/${joinPath(segs)} is not empty`);
      this.store.removeDir(joinPath(segs));
      rows.remove(row.ino);
      this.keepIfEmptied(rows, row.parent, segs.slice(0, -1));
      return none();
    });
  }

  /** Moves a file to /.trash/<its path> (the origin file is not touched). */
  unlink(ref: EntryRef): Invalidation {
    return this.edit((rows) => {
      const { segs, row: src } = this.removable(rows, ref, "EISDIR");
      if (src.track_id === null) fail("EISDIR", `/${joinPath(segs)} is a folder`);
      this.store.trash(src.track_id, joinPath(segs), Date.now());
      const trash = rows.child(ROOT_INO, TRASH_DIR)!;
      const { dir, made } = rows.mkdirs(trash, TRASH_DIR, segs.slice(0, -1), src.mtime_ms);
      const name = fileName((n) => rows.child(dir.ino, n) !== null, segs[segs.length - 1]);
      rows.move(src.ino, dir.ino, name);
      this.keepIfEmptied(rows, src.parent, segs.slice(0, -1));
      const added = [...made, { ...src, parent: dir.ino, name }];
      return { entries: added.map((r) => ({ parent: r.parent, name: r.name })), inodes: [made[0]?.parent ?? dir.ino] };
    });
  }

  /** A trashed file's row moved to `to` (its folder `dst` exists), trash folders it leaves empty removed. */
  private putBack(rows: TreeRows, src: TreeRow, dst: TreeRow, to: readonly string[]): Invalidation {
    this.store.untrash(src.track_id!, joinPath(to));
    rows.move(src.ino, dst.ino, to[to.length - 1]);
    const trash = rows.child(ROOT_INO, TRASH_DIR)!;
    const gone = rows.pruneEmpty(src.parent, trash.ino);
    return { entries: gone.map((r) => ({ parent: r.parent, name: r.name })), inodes: gone.length ? [gone[gone.length - 1].parent] : [] };
  }

  /**
   * Puts trashed tracks back where they were: `what` is a catalog id, or a path as trashed
   * ("/Artist/Album/x.flac", with or without "/.trash" in front); a folder's path restores
   * everything trashed from under it. A taken path gets a " (2)" suffix; folders that are gone
   * are made again.
   */
  restore(what: number | string): RestoreResult[] {
    let ids: number[];
    if (typeof what === "number") {
      if (!this.store.isTrashed(what)) fail("ENOENT", `track ${what} is not in the trash`);
      ids = [what];
    } else {
      let segs = splitPath(what);
      if (inTrash(segs)) segs = segs.slice(1);
      ids = segs.length === 0 ? this.store.trashEntries().map((e) => e.id) : this.store.trashedUnder(joinPath(segs));
      if (ids.length === 0) fail("ENOENT", `nothing in the trash was at ${what}`);
    }
    return this.edit((rows) => ids.map((id) => this.restoreOne(rows, id)));
  }

  private restoreOne(rows: TreeRows, id: number): RestoreResult {
    const from = this.store.trashedPath(id)!;
    const segs = from.split("/");
    const row = rows.node(FILE_INO_BASE + id);
    if (!row) {
      // This tree does not show the track (another mount's origins): only the edit changes.
      this.store.untrash(id, from);
      return { id, from: "/" + from, to: "/" + from };
    }
    const { dir, path } = rows.mkdirs(rows.node(ROOT_INO)!, "", segs.slice(0, -1), row.mtime_ms);
    const name = fileName((n) => rows.child(dir.ino, n) !== null, segs[segs.length - 1]);
    const to = path ? [...path.split("/"), name] : [name];
    this.putBack(rows, row, dir, to);
    return { id, from: "/" + from, to: "/" + joinPath(to) };
  }
}

/** The trash, oldest first. */
export function trashList(db: Database): TrashEntry[] {
  return new NamespaceStore(db).trashEntries();
}

/**
 * Empties the trash: its tracks are hidden for good (see the header). Stored trees that were
 * current drop the trash's contents in place; the others rebuild anyway. Returns how many.
 */
export function emptyTrash(db: Database): number {
  const store = new NamespaceStore(db);
  return db
    .transaction(() => {
      const before = catalogSignature(db);
      const n = store.purgeAll(Date.now());
      if (n === 0) return 0;
      bumpNamespaceGeneration(db);
      const after = catalogSignature(db);
      for (const key of storedTreesAt(db, before)) {
        const rows = new TreeRows(db, key);
        const trash = rows.child(ROOT_INO, TRASH_DIR);
        if (trash) for (const r of rows.subtree(trash.ino)) if (r.ino !== trash.ino) rows.remove(r.ino);
        rows.markFresh(after);
      }
      return n;
    })
    .immediate();
}
