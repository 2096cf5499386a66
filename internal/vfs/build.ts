// Building the tree's nodes: every track at its template path, or where the user's edits put it.
// Order decides who keeps a contested name, so it is fixed: the trash folder, the user's folders,
// moved files (by id), then template paths (by id: the older track keeps the plain name, the next
// gets " (2)"), then the trash's contents in the order trashed. Folders are joined by name, so a
// template path that reaches a user's folder lands in it.
import { folderName, fileName, NO_EDITS, TRASH_DIR, type TreeEdits } from "./edits.ts";
import { dirInoFor, FILE_INO_BASE, ROOT_INO } from "./ino.ts";
import { renderPath, type CompiledTemplate } from "./template.ts";
import type { VfsDir, VfsFile, VfsNode, VfsTrack } from "./tree.ts";

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

class NodeBuilder<T extends VfsTrack> {
  readonly nodes = new Map<number, VfsNode<T>>();
  private readonly used = new Set<number>([ROOT_INO]);
  private readonly root: VfsDir = { kind: "dir", ino: ROOT_INO, parent: ROOT_INO, name: "", names: [], children: new Map(), mtimeMs: 0 };
  private trash: VfsDir | null = null;
  /** User folders whose stored inode is already given out (a duplicate would probe instead). */
  private readonly given = new Set<number>();

  constructor(private readonly edits: TreeEdits) {
    this.nodes.set(ROOT_INO, this.root);
    // Stored inodes first, so no hashed folder takes one of them.
    for (const d of edits.dirs.values()) this.used.add(d.ino);
  }

  addTrash(): void {
    this.trash = this.newDir(this.root, TRASH_DIR, TRASH_DIR);
  }

  private newDir(parent: VfsDir, name: string, path: string): VfsDir {
    const user = this.edits.dirs.get(path);
    let ino: number;
    if (user && !this.given.has(user.ino)) {
      ino = user.ino;
      this.given.add(ino);
    } else ino = dirInoFor(path, (i) => this.used.has(i));
    this.used.add(ino);
    const dir: VfsDir = { kind: "dir", ino, parent: parent.ino, name, names: [], children: new Map(), mtimeMs: user?.mtimeMs ?? 0 };
    this.nodes.set(ino, dir);
    parent.children.set(name, ino);
    return dir;
  }

  /** The folder at `segs` below the root (or the trash), made as needed; its ancestors, root first. */
  private folder(segs: readonly string[], count: number, inTrash: boolean): VfsDir[] {
    let dir = inTrash ? this.trash! : this.root;
    let path = inTrash ? TRASH_DIR : "";
    const chain = [this.root];
    if (inTrash) chain.push(dir);
    for (let i = 0; i < count; i++) {
      const here = dir;
      const { name, exists } = folderName((n) => {
        const ino = here.children.get(n);
        if (ino === undefined) return undefined;
        const node = this.nodes.get(ino)!;
        return node === this.trash ? "reserved" : node.kind;
      }, segs[i]);
      path = path ? `${path}/${name}` : name;
      dir = exists ? (this.nodes.get(here.children.get(name)!) as VfsDir) : this.newDir(here, name, path);
      chain.push(dir);
    }
    return chain;
  }

  addDir(path: string): void {
    const segs = path.split("/");
    this.folder(segs, segs.length, false);
  }

  addFile(track: T, segs: readonly string[], inTrash = false): void {
    const chain = this.folder(segs, segs.length - 1, inTrash);
    const dir = chain[chain.length - 1];
    const name = fileName((n) => dir.children.has(n), segs[segs.length - 1]);
    const file: VfsFile<T> = { kind: "file", ino: FILE_INO_BASE + track.id, parent: dir.ino, name, track };
    this.nodes.set(file.ino, file);
    dir.children.set(name, file.ino);
    for (const d of chain) if (track.mtimeMs > d.mtimeMs) d.mtimeMs = track.mtimeMs;
  }

  finish(): Map<number, VfsNode<T>> {
    for (const node of this.nodes.values()) if (node.kind === "dir") node.names = [...node.children.keys()].sort(compareNames);
    return this.nodes;
  }
}

/**
 * The nodes of a tree of `tracks` under `tpl`. Without edits (`edits` undefined) there is no trash
 * folder, and the tree is the template's alone.
 */
export function buildNodes<T extends VfsTrack>(tracks: Iterable<T>, tpl: CompiledTemplate, edits?: TreeEdits): Map<number, VfsNode<T>> {
  const e = edits ?? NO_EDITS;
  const b = new NodeBuilder<T>(e);
  if (edits) b.addTrash();
  for (const path of [...e.dirs.keys()].sort(compareNames)) b.addDir(path);
  const sorted = [...tracks].sort((a, c) => a.id - c.id);
  const byId = new Map<number, T>();
  for (const t of sorted) byId.set(t.id, t);
  const shown = (t: T) => !e.trash.has(t.id) && !e.hidden.has(t.id);
  for (const t of sorted) {
    const placed = e.placements.get(t.id);
    if (placed !== undefined && shown(t)) b.addFile(t, placed.split("/"));
  }
  for (const t of sorted) if (!e.placements.has(t.id) && shown(t)) b.addFile(t, renderPath(tpl, t));
  for (const [id, path] of e.trash) {
    const t = byId.get(id);
    if (t && !e.hidden.has(id)) b.addFile(t, path.split("/"), true);
  }
  return b.finish();
}
