// Inode ranges of the mounted tree. Every number is derived from stable data (catalog ids, folder
// paths, query strings), so inodes survive remounts and every FUSE worker computes the same ones
// without sharing state. All stay below 2^53 (exact in a JS number).
import { FILE_INO_BASE, ROOT_INO } from "../vfs/index.ts";

export { FILE_INO_BASE, ROOT_INO };

/** Album cover files: COVER_INO_BASE + folder inode * 4 + which file (covers.ts COVER_FILES). */
export const COVER_INO_BASE = 2 ** 50;
/** Search result symlinks: RESULT_INO_BASE + catalog id (the same track in two queries is one inode). */
export const RESULT_INO_BASE = 2 ** 51;
/** The hidden /.search folder. */
export const SEARCH_DIR_INO = 2 ** 52;
/** The hidden /.collections folder (its entries are query folders). */
export const COLLECTIONS_DIR_INO = 2 ** 52 + 1;
/** The hidden /.prefetch folder, its status file, and its hint files (HINT_INO_BASE + catalog id). */
export const PREFETCH_DIR_INO = 2 ** 52 + 2;
export const PREFETCH_STATUS_INO = 2 ** 52 + 3;
export const HINT_INO_BASE = 2 ** 52 + 2 ** 43;
/** Query folders: QUERY_INO_BASE + a 40-bit hash of the query text. */
export const QUERY_INO_BASE = 2 ** 52 + 2 ** 44;
const QUERY_SPAN = 2 ** 40;

export type InodeKind = "tree" | "cover" | "result" | "search-root" | "collections-root" | "query" | "prefetch-root" | "prefetch-file";

export function kindOf(ino: number): InodeKind {
  if (ino >= QUERY_INO_BASE) return "query";
  if (ino >= HINT_INO_BASE || ino === PREFETCH_STATUS_INO) return "prefetch-file";
  if (ino === PREFETCH_DIR_INO) return "prefetch-root";
  if (ino === SEARCH_DIR_INO) return "search-root";
  if (ino === COLLECTIONS_DIR_INO) return "collections-root";
  if (ino >= RESULT_INO_BASE) return "result";
  if (ino >= COVER_INO_BASE) return "cover";
  return "tree";
}

export function coverIno(dirIno: number, file: number): number {
  return COVER_INO_BASE + dirIno * 4 + file;
}

export function queryIno(query: string): number {
  return QUERY_INO_BASE + Number(BigInt.asUintN(64, BigInt(Bun.hash.xxHash3(query))) % BigInt(QUERY_SPAN));
}
