// Inode numbers of the tree: derived from stable data only (catalog ids, folder paths), so they
// survive remounts and every FUSE worker computes the same ones.

export const ROOT_INO = 1;
/** File inodes are FILE_INO_BASE + catalog id; folder inodes stay below it. */
export const FILE_INO_BASE = 2 ** 32;

/**
 * A folder inode from its path: stable across remounts and rebuilds; `taken` says which inodes are
 * in use, and the rare hash collision probes to the next free number below FILE_INO_BASE.
 */
export function dirInoFor(path: string, taken: (ino: number) => boolean): number {
  const span = FILE_INO_BASE - 2;
  let ino = 2 + Number(BigInt.asUintN(64, BigInt(Bun.hash.xxHash3(path))) % BigInt(span));
  while (taken(ino)) ino = ino + 1 >= FILE_INO_BASE ? 2 : ino + 1;
  return ino;
}
