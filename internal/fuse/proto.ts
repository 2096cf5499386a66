// The FUSE kernel protocol as numbers: opcodes, flags, struct sizes and byte offsets, checked
// against /usr/include/linux/fuse.h by test/fuse/proto.test.ts. Encoders write into a caller's
// DataView at an offset and never allocate: the request loop reuses one in and one out buffer.
// 64-bit fields are written as two 32-bit halves (little endian) so hot paths need no BigInt;
// values above 2^53 cannot occur (inode numbers, sizes and offsets are JS numbers).

/** Protocol version we speak. The kernel (6.x offers 7.4x) accepts an older minor in the reply. */
export const KERNEL_VERSION = 7;
export const KERNEL_MINOR_VERSION = 38;
export const ROOT_ID = 1;

export const Op = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  SYMLINK: 6,
  MKNOD: 8,
  MKDIR: 9,
  UNLINK: 10,
  RMDIR: 11,
  RENAME: 12,
  LINK: 13,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FSYNC: 20,
  SETXATTR: 21,
  GETXATTR: 22,
  LISTXATTR: 23,
  REMOVEXATTR: 24,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  FSYNCDIR: 30,
  GETLK: 31,
  SETLK: 32,
  SETLKW: 33,
  ACCESS: 34,
  CREATE: 35,
  INTERRUPT: 36,
  BMAP: 37,
  DESTROY: 38,
  IOCTL: 39,
  POLL: 40,
  NOTIFY_REPLY: 41,
  BATCH_FORGET: 42,
  FALLOCATE: 43,
  READDIRPLUS: 44,
  RENAME2: 45,
  LSEEK: 46,
  COPY_FILE_RANGE: 47,
  SETUPMAPPING: 48,
  REMOVEMAPPING: 49,
  SYNCFS: 50,
  TMPFILE: 51,
  /** Newer than our header (7.39+); the kernel sends it anyway and falls back to GETATTR on ENOSYS. */
  STATX: 52,
} as const;

/** INIT flags (fuse_init_in.flags / fuse_init_out.flags). */
export const Init = {
  ASYNC_READ: 1 << 0,
  POSIX_LOCKS: 1 << 1,
  ATOMIC_O_TRUNC: 1 << 3,
  EXPORT_SUPPORT: 1 << 4,
  BIG_WRITES: 1 << 5,
  AUTO_INVAL_DATA: 1 << 12,
  DO_READDIRPLUS: 1 << 13,
  READDIRPLUS_AUTO: 1 << 14,
  ASYNC_DIO: 1 << 15,
  PARALLEL_DIROPS: 1 << 18,
  MAX_PAGES: 1 << 22,
  CACHE_SYMLINKS: 1 << 23,
  INIT_EXT: 1 << 30,
} as const;

/** fuse_open_out.open_flags */
export const FOPEN_DIRECT_IO = 1 << 0;
export const FOPEN_KEEP_CACHE = 1 << 1;
export const FOPEN_NONSEEKABLE = 1 << 2;
export const FOPEN_CACHE_DIR = 1 << 3;

/** fuse_setattr_in.valid bits */
export const FATTR_MODE = 1 << 0;
export const FATTR_UID = 1 << 1;
export const FATTR_GID = 1 << 2;
export const FATTR_SIZE = 1 << 3;
export const FATTR_ATIME = 1 << 4;
export const FATTR_MTIME = 1 << 5;
export const FATTR_FH = 1 << 6;
export const FATTR_ATIME_NOW = 1 << 7;
export const FATTR_MTIME_NOW = 1 << 8;

/** FUSE_DEV_IOC_CLONE = _IOR(229, 0, uint32_t) */
export const FUSE_DEV_IOC_CLONE = 0x8004e500;

// ---- struct sizes (bytes) ----
export const IN_HEADER_SIZE = 40;
export const OUT_HEADER_SIZE = 16;
export const ATTR_SIZE = 88;
export const ENTRY_OUT_SIZE = 128;
export const ATTR_OUT_SIZE = 104;
export const INIT_IN_SIZE = 64;
export const INIT_OUT_SIZE = 64;
export const OPEN_IN_SIZE = 8;
export const OPEN_OUT_SIZE = 16;
export const READ_IN_SIZE = 40;
export const WRITE_IN_SIZE = 40;
export const WRITE_OUT_SIZE = 8;
export const RELEASE_IN_SIZE = 24;
export const FLUSH_IN_SIZE = 24;
export const GETATTR_IN_SIZE = 16;
export const SETATTR_IN_SIZE = 88;
export const KSTATFS_SIZE = 80;
export const STATFS_OUT_SIZE = 80;
export const GETXATTR_IN_SIZE = 8;
export const GETXATTR_OUT_SIZE = 8;
export const SETXATTR_IN_COMPAT_SIZE = 8;
export const ACCESS_IN_SIZE = 8;
export const FORGET_IN_SIZE = 8;
export const FORGET_ONE_SIZE = 16;
export const BATCH_FORGET_IN_SIZE = 8;
export const INTERRUPT_IN_SIZE = 8;
export const MKDIR_IN_SIZE = 8;
export const MKNOD_IN_SIZE = 16;
export const RENAME_IN_SIZE = 8;
export const RENAME2_IN_SIZE = 16;
export const LINK_IN_SIZE = 8;
export const CREATE_IN_SIZE = 16;
export const FSYNC_IN_SIZE = 16;
export const DIRENT_NAME_OFFSET = 24;
export const DIRENTPLUS_NAME_OFFSET = ENTRY_OUT_SIZE + DIRENT_NAME_OFFSET; // 152

// ---- field offsets ----
/** fuse_in_header */
export const InHdr = { len: 0, opcode: 4, unique: 8, nodeid: 16, uid: 24, gid: 28, pid: 32, totalExtlen: 36, padding: 38 } as const;
/** fuse_out_header */
export const OutHdr = { len: 0, error: 4, unique: 8 } as const;
/** fuse_attr */
export const AttrOff = {
  ino: 0, size: 8, blocks: 16, atime: 24, mtime: 32, ctime: 40, atimensec: 48, mtimensec: 52, ctimensec: 56,
  mode: 60, nlink: 64, uid: 68, gid: 72, rdev: 76, blksize: 80, flags: 84,
} as const;
/** fuse_entry_out */
export const EntryOff = { nodeid: 0, generation: 8, entryValid: 16, attrValid: 24, entryValidNsec: 32, attrValidNsec: 36, attr: 40 } as const;
/** fuse_attr_out */
export const AttrOutOff = { attrValid: 0, attrValidNsec: 8, dummy: 12, attr: 16 } as const;
/** fuse_init_in */
export const InitInOff = { major: 0, minor: 4, maxReadahead: 8, flags: 12, flags2: 16 } as const;
/** fuse_init_out */
export const InitOutOff = {
  major: 0, minor: 4, maxReadahead: 8, flags: 12, maxBackground: 16, congestionThreshold: 18, maxWrite: 20,
  timeGran: 24, maxPages: 28, mapAlignment: 30, flags2: 32,
} as const;
/** fuse_read_in (READ, READDIR, READDIRPLUS) */
export const ReadInOff = { fh: 0, offset: 8, size: 16, readFlags: 20, lockOwner: 24, flags: 32 } as const;
/** fuse_write_in */
export const WriteInOff = { fh: 0, offset: 8, size: 16, writeFlags: 20, lockOwner: 24, flags: 32 } as const;
/** fuse_open_out */
export const OpenOutOff = { fh: 0, openFlags: 8 } as const;
/** fuse_kstatfs */
export const StatfsOff = { blocks: 0, bfree: 8, bavail: 16, files: 24, ffree: 32, bsize: 40, namelen: 44, frsize: 48 } as const;
/** fuse_dirent */
export const DirentOff = { ino: 0, off: 8, namelen: 16, type: 20, name: 24 } as const;
/** fuse_setattr_in */
export const SetattrOff = {
  valid: 0, fh: 8, size: 16, lockOwner: 24, atime: 32, mtime: 40, ctime: 48, atimensec: 56, mtimensec: 60,
  ctimensec: 64, mode: 68, uid: 76, gid: 80,
} as const;

const TWO32 = 4294967296;

/** Reads a little-endian u64 as a number (exact below 2^53). */
export function getU64(dv: DataView, off: number): number {
  return dv.getUint32(off, true) + dv.getUint32(off + 4, true) * TWO32;
}

/** Writes a non-negative integer below 2^53 as a little-endian u64. */
export function setU64(dv: DataView, off: number, v: number): void {
  dv.setUint32(off, v >>> 0, true);
  dv.setUint32(off + 4, (v / TWO32) >>> 0, true);
}

/** Rounds up to the 8-byte record alignment of dirents (FUSE_DIRENT_ALIGN). */
export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** File attributes as a FileSystem reports them. Times are seconds since the epoch (fractions allowed). */
export interface Attr {
  ino: number;
  mode: number;
  size: number;
  nlink: number;
  uid: number;
  gid: number;
  mtime: number;
  atime?: number;
  ctime?: number;
  /** 512-byte blocks; derived from size when absent. */
  blocks?: number;
  rdev?: number;
  blksize?: number;
}

function setTime(dv: DataView, secOff: number, nsecOff: number, t: number): void {
  const s = Math.floor(t);
  setU64(dv, secOff, s < 0 ? 0 : s);
  dv.setUint32(nsecOff, Math.floor((t - s) * 1e9) >>> 0, true);
}

/** Encodes a fuse_attr (88 bytes) at off. */
export function writeAttr(dv: DataView, off: number, a: Attr): void {
  setU64(dv, off + AttrOff.ino, a.ino);
  setU64(dv, off + AttrOff.size, a.size);
  setU64(dv, off + AttrOff.blocks, a.blocks ?? Math.ceil(a.size / 512));
  const m = a.mtime;
  setTime(dv, off + AttrOff.atime, off + AttrOff.atimensec, a.atime ?? m);
  setTime(dv, off + AttrOff.mtime, off + AttrOff.mtimensec, m);
  setTime(dv, off + AttrOff.ctime, off + AttrOff.ctimensec, a.ctime ?? m);
  dv.setUint32(off + AttrOff.mode, a.mode, true);
  dv.setUint32(off + AttrOff.nlink, a.nlink, true);
  dv.setUint32(off + AttrOff.uid, a.uid, true);
  dv.setUint32(off + AttrOff.gid, a.gid, true);
  dv.setUint32(off + AttrOff.rdev, a.rdev ?? 0, true);
  dv.setUint32(off + AttrOff.blksize, a.blksize ?? 4096, true);
  dv.setUint32(off + AttrOff.flags, 0, true);
}

/** Splits a timeout in seconds into whole seconds and nanoseconds. */
export function writeTimeout(dv: DataView, secOff: number, nsecOff: number, seconds: number): void {
  setTime(dv, secOff, nsecOff, seconds);
}

/**
 * Encodes a fuse_entry_out (128 bytes). A null attr writes a negative entry (nodeid 0), which the
 * kernel caches for entryTtl seconds as "does not exist".
 */
export function writeEntryOut(dv: DataView, off: number, a: Attr | null, entryTtl: number, attrTtl: number): void {
  setU64(dv, off + EntryOff.nodeid, a === null ? 0 : a.ino);
  setU64(dv, off + EntryOff.generation, 0);
  writeTimeout(dv, off + EntryOff.entryValid, off + EntryOff.entryValidNsec, entryTtl);
  writeTimeout(dv, off + EntryOff.attrValid, off + EntryOff.attrValidNsec, attrTtl);
  if (a === null) new Uint8Array(dv.buffer, dv.byteOffset + off + EntryOff.attr, ATTR_SIZE).fill(0);
  else writeAttr(dv, off + EntryOff.attr, a);
}

/** Encodes a fuse_attr_out (104 bytes). */
export function writeAttrOut(dv: DataView, off: number, a: Attr, attrTtl: number): void {
  writeTimeout(dv, off + AttrOutOff.attrValid, off + AttrOutOff.attrValidNsec, attrTtl);
  dv.setUint32(off + AttrOutOff.dummy, 0, true);
  writeAttr(dv, off + AttrOutOff.attr, a);
}

/** Encodes a fuse_open_out (16 bytes). */
export function writeOpenOut(dv: DataView, off: number, fh: number, openFlags: number): void {
  setU64(dv, off + OpenOutOff.fh, fh);
  dv.setUint32(off + OpenOutOff.openFlags, openFlags, true);
  dv.setUint32(off + 12, 0, true);
}

/** File system statistics as a FileSystem reports them. */
export interface StatFs {
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  bsize: number;
  namelen: number;
  frsize: number;
}

/** Encodes a fuse_kstatfs (80 bytes, spare fields zeroed). */
export function writeStatfs(dv: DataView, off: number, s: StatFs): void {
  setU64(dv, off + StatfsOff.blocks, s.blocks);
  setU64(dv, off + StatfsOff.bfree, s.bfree);
  setU64(dv, off + StatfsOff.bavail, s.bavail);
  setU64(dv, off + StatfsOff.files, s.files);
  setU64(dv, off + StatfsOff.ffree, s.ffree);
  dv.setUint32(off + StatfsOff.bsize, s.bsize, true);
  dv.setUint32(off + StatfsOff.namelen, s.namelen, true);
  dv.setUint32(off + StatfsOff.frsize, s.frsize, true);
  for (let i = 52; i < KSTATFS_SIZE; i += 4) dv.setUint32(off + i, 0, true);
}

/** Encodes a fuse_out_header. error is 0 or a negative errno. */
export function writeOutHeader(dv: DataView, len: number, error: number, uniqueLo: number, uniqueHi: number): void {
  dv.setUint32(OutHdr.len, len, true);
  dv.setInt32(OutHdr.error, error, true);
  dv.setUint32(OutHdr.unique, uniqueLo, true);
  dv.setUint32(OutHdr.unique + 4, uniqueHi, true);
}

/** d_type from a mode (DT_* = S_IFMT >> 12). */
export function direntType(mode: number): number {
  return (mode >>> 12) & 15;
}

/**
 * Encodes one fuse_dirent (plus=false) or fuse_direntplus (plus=true) at off, name bytes already
 * counted as nameLen; writes the name from `name` into `buf`. Padding up to the 8-byte record
 * boundary is zeroed (the kernel copies it to user space). Returns the record size.
 */
export function writeDirent(
  buf: Buffer, dv: DataView, off: number, plus: boolean, name: string, nameLen: number, a: Attr,
  nextOff: number, entryTtl: number, attrTtl: number, noEntry = false,
): number {
  let d = off;
  if (plus) {
    // "." and ".." carry no lookup reference (the kernel skips them): nodeid 0 says "no entry".
    // So does an entry whose attributes the FS cannot vouch for yet: the kernel LOOKUPs it later.
    const dots = noEntry || name === "." || name === "..";
    writeEntryOut(dv, off, dots ? null : a, entryTtl, attrTtl);
    d = off + ENTRY_OUT_SIZE;
  }
  setU64(dv, d + DirentOff.ino, a.ino);
  setU64(dv, d + DirentOff.off, nextOff);
  dv.setUint32(d + DirentOff.namelen, nameLen, true);
  dv.setUint32(d + DirentOff.type, direntType(a.mode), true);
  const nameStart = d + DirentOff.name;
  buf.write(name, nameStart, nameLen, "utf8");
  const end = align8(nameStart + nameLen - off) + off;
  for (let i = nameStart + nameLen; i < end; i++) buf[i] = 0;
  return end - off;
}

/** Index of the NUL ending a C string that starts at off (or `limit` when there is none before it). */
export function cstringEnd(buf: Uint8Array, off: number, limit: number): number {
  const i = buf.indexOf(0, off);
  return i < 0 || i > limit ? limit : i;
}
