// What a chunk file is: where it lives, how it is read and how it is checked. Shared by the store's
// owner (ChunkStore) and the read-only FUSE-worker side (ChunkStoreReader), so both accept exactly
// the same bytes.
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { chunkIdInto, toHex } from "../hash/index.ts";

/** `<chunksDir>/aa/bb/<sha256 hex>`. */
export function chunkPath(chunksDir: string, hex: string): string {
  return nodePath.join(chunksDir, hex.slice(0, 2), hex.slice(2, 4), hex);
}

/** The per-read integrity check recorded at write: xxHash3-64 as hex (~40 GB/s). */
export function quickSum(data: Uint8Array): string {
  return Bun.hash.xxHash3(data).toString(16);
}

/**
 * True when `data` is chunk `hex` as the index row describes it: the recorded size, then the
 * recorded xxHash3, or SHA-256 (the name itself) for chunks written before xxHash3 was recorded.
 * `idBuf` is 32 bytes of scratch for the SHA-256.
 */
export function chunkIntact(data: Uint8Array, hex: string, size: number, xxh: string | null, idBuf: Uint8Array): boolean {
  if (data.length !== size) return false;
  return xxh !== null ? quickSum(data) === xxh : toHex(chunkIdInto(data, idBuf)) === hex;
}

/**
 * Reads the file at `path` from its start into `buf` (up to buf.length bytes); returns the count.
 * Give a buffer one byte larger than the expected size to notice a file that grew. Throws when
 * the file cannot be opened or read.
 */
export function readChunkInto(path: string, buf: Uint8Array): number {
  const fd = fs.openSync(path, "r");
  try {
    let n = 0;
    while (n < buf.length) {
      const r = fs.readSync(fd, buf, n, buf.length - n, n);
      if (r === 0) break;
      n += r;
    }
    return n;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads exactly `size` bytes of the file at `path` into dst[0, size) when the file has exactly
 * that size (fstat: a grown or shrunk file is refused without reading); returns false otherwise.
 * For reads straight into a FUSE reply buffer, which has no spare byte to notice growth with.
 * Throws when the file cannot be opened or read.
 */
export function readChunkExact(path: string, dst: Uint8Array, size: number): boolean {
  const fd = fs.openSync(path, "r");
  try {
    if (fs.fstatSync(fd).size !== size) return false;
    let n = 0;
    while (n < size) {
      const r = fs.readSync(fd, dst, n, size - n, n);
      if (r === 0) return false;
      n += r;
    }
    return true;
  } finally {
    fs.closeSync(fd);
  }
}
