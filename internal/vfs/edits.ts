// A user's edits of the tree's namespace (folders made, files and folders moved, tracks in the
// trash), as plain data, and the naming rules that both the tree builder and the in-place edits of
// a stored tree (mountfs/namespace.ts) follow, so that an edited tree and a rebuilt one agree.
import { withCollisionSuffix } from "./names.ts";

/** Paths here are mount-relative, without a leading "/": "Artist/Album/01 - Song.flac". */
export interface TreeEdits {
  /** Folders the user made (or that an edit must keep), by path, with the inode they keep. */
  dirs: ReadonlyMap<string, { ino: number; mtimeMs: number }>;
  /** Track id → the file's path, instead of the template's. */
  placements: ReadonlyMap<number, string>;
  /** Track id → the path it had when trashed, in the order trashed (shown under /.trash/). */
  trash: ReadonlyMap<number, string>;
  /** Tracks removed from the trash: shown nowhere. */
  hidden: ReadonlySet<number>;
}

export const NO_EDITS: TreeEdits = { dirs: new Map(), placements: new Map(), trash: new Map(), hidden: new Set() };

/** The trash folder at the root: reserved, so a rendered or user entry named so gets a suffix. */
export const TRASH_DIR = ".trash";

/** What a folder already holds under a name: nothing, a file, a folder, or the reserved trash. */
export type NameHolder = "file" | "dir" | "reserved" | undefined;

/**
 * The name a folder `base` takes in a parent: `base` itself, or "base (2)", "base (3)", ...: the
 * first that is free or already a folder (a folder of that name is joined, a file or the trash
 * is not). Returns the name and whether a folder already has it.
 */
export function folderName(holder: (name: string) => NameHolder, base: string): { name: string; exists: boolean } {
  let name = base;
  for (let n = 2; ; n++) {
    const h = holder(name);
    if (h === undefined) return { name, exists: false };
    if (h === "dir") return { name, exists: true };
    name = withCollisionSuffix(base, n, true);
  }
}

/** The name a file `base` takes in a folder: `base`, or the first free "base (n).ext". */
export function fileName(taken: (name: string) => boolean, base: string): string {
  let name = base;
  for (let n = 2; taken(name); n++) name = withCollisionSuffix(base, n, false);
  return name;
}
