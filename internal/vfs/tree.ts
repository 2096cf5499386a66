// The virtual tree: every catalog track placed at its rendered template path (or where the
// user's edits put it, see edits.ts), with inode numbers that stay the same across remounts
// (files: derived from the catalog id; folders: from a hash of their path), collisions resolved
// with a stable " (2)" suffix (ordered by catalog id), never "last writer wins". build.ts makes it.
import { buildNodes } from "./build.ts";
import type { TreeEdits } from "./edits.ts";
import { FILE_INO_BASE, ROOT_INO } from "./ino.ts";
import { compileTemplate, DEFAULT_TEMPLATE, type CompiledTemplate, type TemplateTrack } from "./template.ts";

export { FILE_INO_BASE, ROOT_INO };

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

/** T: the caller's track type (a catalog row), kept on each file node. */
export class VfsTree<T extends VfsTrack = VfsTrack> {
  private constructor(
    readonly template: CompiledTemplate,
    private readonly nodes: Map<number, VfsNode<T>>,
  ) {}

  /** The tree of `tracks`; with `edits`, also the user's folders, moved files and the trash. */
  static build<T extends VfsTrack>(tracks: Iterable<T>, template: string | CompiledTemplate = DEFAULT_TEMPLATE, edits?: TreeEdits): VfsTree<T> {
    const tpl = typeof template === "string" ? compileTemplate(template) : template;
    return new VfsTree<T>(tpl, buildNodes(tracks, tpl, edits));
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
