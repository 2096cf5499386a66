// The virtual tree: every catalog track placed at its rendered template path, with inode numbers
// that stay the same across remounts (files: derived from the catalog id; folders: from a hash
// of their path), collisions resolved with a stable " (2)" suffix (ordered by catalog id), never
// "last writer wins".
import { compileTemplate, DEFAULT_TEMPLATE, renderPath, type CompiledTemplate, type TemplateTrack } from "./template.ts";
import { withCollisionSuffix } from "./names.ts";

export const ROOT_INO = 1;
/** File inodes are FILE_INO_BASE + catalog id; folder inodes stay below it. */
export const FILE_INO_BASE = 2 ** 32;

export interface VfsTrack extends TemplateTrack {
  /** Catalog id: positive integer, stable across rescans. */
  id: number;
  size: number;
  mtimeMs: number;
}

export interface VfsFile<T extends VfsTrack = VfsTrack> {
  kind: "file";
  ino: number;
  parent: number;
  name: string;
  track: T;
}

export interface VfsDir {
  kind: "dir";
  ino: number;
  parent: number;
  name: string;
  /** Child names in sorted order (readdir order; offset = index + 1). */
  names: string[];
  children: Map<string, number>;
  mtimeMs: number;
}

export type VfsNode<T extends VfsTrack = VfsTrack> = VfsFile<T> | VfsDir;

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** T: the caller's track type (a catalog row), kept on each file node. */
export class VfsTree<T extends VfsTrack = VfsTrack> {
  private readonly nodes = new Map<number, VfsNode<T>>();
  readonly template: CompiledTemplate;

  private constructor(template: CompiledTemplate) {
    this.template = template;
  }

  static build<T extends VfsTrack>(tracks: Iterable<T>, template: string | CompiledTemplate = DEFAULT_TEMPLATE): VfsTree<T> {
    const tpl = typeof template === "string" ? compileTemplate(template) : template;
    const tree = new VfsTree<T>(tpl);
    const root: VfsDir = { kind: "dir", ino: ROOT_INO, parent: ROOT_INO, name: "", names: [], children: new Map(), mtimeMs: 0 };
    tree.nodes.set(ROOT_INO, root);
    // Sorting by id makes collision suffixes stable: the older track keeps the plain name.
    const sorted = [...tracks].sort((a, b) => a.id - b.id);
    const dirByPath = new Map<string, VfsDir>([["", root]]);
    const usedDirInos = new Set<number>([ROOT_INO]);
    for (const track of sorted) {
      const segs = renderPath(tpl, track);
      let dir = root;
      let dirPath = "";
      for (let i = 0; i < segs.length - 1; i++) {
        dirPath = dirPath ? `${dirPath}/${segs[i]}` : segs[i];
        let next = dirByPath.get(dirPath);
        if (!next) {
          let name = segs[i];
          // A file already holds this name: the folder takes a suffixed name instead.
          for (let n = 2; dir.children.has(name) && tree.nodes.get(dir.children.get(name)!)?.kind === "file"; n++) name = withCollisionSuffix(segs[i], n, true);
          next = { kind: "dir", ino: dirIno(dirPath, usedDirInos), parent: dir.ino, name, names: [], children: new Map(), mtimeMs: 0 };
          tree.nodes.set(next.ino, next);
          dirByPath.set(dirPath, next);
          dir.children.set(name, next.ino);
        }
        if (track.mtimeMs > next.mtimeMs) next.mtimeMs = track.mtimeMs;
        dir = next;
      }
      const base = segs[segs.length - 1];
      let name = base;
      for (let n = 2; dir.children.has(name); n++) name = withCollisionSuffix(base, n, false);
      const file: VfsFile<T> = { kind: "file", ino: FILE_INO_BASE + track.id, parent: dir.ino, name, track };
      tree.nodes.set(file.ino, file);
      dir.children.set(name, file.ino);
      if (track.mtimeMs > root.mtimeMs) root.mtimeMs = track.mtimeMs;
    }
    for (const node of tree.nodes.values()) if (node.kind === "dir") node.names = [...node.children.keys()].sort(compareNames);
    return tree;
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Every node, the root first. */
  allNodes(): IterableIterator<VfsNode<T>> {
    return this.nodes.values();
  }

  node(ino: number): VfsNode<T> | undefined {
    return this.nodes.get(ino);
  }

  lookup(parent: number, name: string): VfsNode<T> | undefined {
    const dir = this.nodes.get(parent);
    if (!dir || dir.kind !== "dir") return undefined;
    const ino = dir.children.get(name);
    return ino === undefined ? undefined : this.nodes.get(ino);
  }

  /** Resolves "/a/b/c" (or "a/b/c") to a node. */
  resolve(path: string): VfsNode<T> | undefined {
    let node: VfsNode<T> | undefined = this.nodes.get(ROOT_INO);
    for (const part of path.split("/")) {
      if (!part) continue;
      if (!node || node.kind !== "dir") return undefined;
      node = this.lookup(node.ino, part);
    }
    return node;
  }

  /** The absolute path of a node, "/" for the root. */
  pathOf(ino: number): string {
    const parts: string[] = [];
    for (let n = this.nodes.get(ino); n && n.ino !== ROOT_INO; n = this.nodes.get(n.parent)) parts.push(n.name);
    return "/" + parts.reverse().join("/");
  }

  /** The file node of a catalog id, if the tree holds it. */
  fileOfTrack(trackId: number): VfsFile<T> | undefined {
    const n = this.nodes.get(FILE_INO_BASE + trackId);
    return n?.kind === "file" ? n : undefined;
  }
}

/** A folder inode from its path: stable across remounts; probing resolves the rare hash collision. */
function dirIno(path: string, used: Set<number>): number {
  const span = FILE_INO_BASE - 2;
  let ino = 2 + Number(BigInt.asUintN(64, BigInt(Bun.hash.xxHash3(path))) % BigInt(span));
  while (used.has(ino)) ino = ino + 1 >= FILE_INO_BASE ? 2 : ino + 1;
  used.add(ino);
  return ino;
}
