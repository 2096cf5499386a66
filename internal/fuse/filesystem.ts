// The contract between the request loop and a file system. The FS owns inode numbers (1 is the
// root). Every method may return a negative errno instead of a value, or throw (FuseError, or a
// node error with `code`). Methods run inside a FUSE worker; one FS instance per worker.
//
// Sync vs async: a plain value is answered at once from the worker's preallocated buffer (the
// fast path). A Promise is answered when it settles, to the same /dev/fuse fd; while promises are
// pending the worker polls the fd with a short timeout so its event loop can run. readdir must
// answer synchronously (it writes into the reply buffer through the sink): an FS whose listings
// come from an async source loads them in opendir (which may be async) and keeps them by fh.
import type { Attr, StatFs } from "./proto.ts";

export type { Attr, StatFs };
export type MaybePromise<T> = T | Promise<T>;

/** What open/opendir/create return. flags are FOPEN_* bits (e.g. FOPEN_KEEP_CACHE). */
export interface OpenReply {
  fh: number;
  flags?: number;
}

/** Who asked (fuse_in_header). The same object is reused per worker: copy what you keep. */
export interface RequestContext {
  uid: number;
  gid: number;
  pid: number;
}

/** Collects directory entries into the reply buffer. */
export interface DirSink {
  /**
   * Adds one entry. `nextOffset` is the cookie the kernel passes back to continue after this
   * entry (e.g. index + 1); it must never be 0. Returns false when the reply is full: the entry was
   * not added, stop and return. `noEntry`: READDIRPLUS hands the kernel no attributes (nor a
   * lookup reference) for this entry, e.g. because its size is not known yet; it LOOKUPs it later.
   */
  add(name: string, attr: Attr, nextOffset: number, noEntry?: boolean): boolean;
}

/** Changes requested by SETATTR; fields are valid when the FATTR_* bit is set in `valid`. */
export interface SetAttrRequest {
  valid: number;
  fh: number;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  atime: number;
  mtime: number;
}

export interface FileSystem {
  lookup(parent: number, name: string, ctx: RequestContext): MaybePromise<Attr | number>;
  getattr(ino: number, fh: number, ctx: RequestContext): MaybePromise<Attr | number>;
  /** Fill `out` starting after cookie `offset` (0 = start). Return 0 or a negative errno. */
  readdir(ino: number, fh: number, offset: number, out: DirSink): number;
  /**
   * Read up to `size` bytes at `offset`. Synchronously: write into `dst` (valid only during the
   * call) and return the count, or return a Uint8Array to send. Asynchronously: a Promise that
   * resolves to a Uint8Array (never a count: dst is reused once the call returns).
   */
  read(ino: number, fh: number, offset: number, size: number, dst: Uint8Array): number | Uint8Array | Promise<Uint8Array | number>;

  open?(ino: number, flags: number, ctx: RequestContext): MaybePromise<OpenReply | number>;
  release?(ino: number, fh: number): MaybePromise<number | void>;
  flush?(ino: number, fh: number): MaybePromise<number | void>;
  opendir?(ino: number, flags: number, ctx: RequestContext): MaybePromise<OpenReply | number>;
  releasedir?(ino: number, fh: number): MaybePromise<number | void>;
  readlink?(ino: number): MaybePromise<string | Uint8Array | number>;
  statfs?(ino: number): MaybePromise<StatFs | number>;
  /** Value of an xattr; absent method = ENOSYS, which the kernel remembers for the whole mount. */
  getxattr?(ino: number, name: string): MaybePromise<Uint8Array | number>;
  listxattr?(ino: number): MaybePromise<string[] | number>;
  access?(ino: number, mask: number, ctx: RequestContext): MaybePromise<number>;
  /** The kernel dropped `nlookup` references to ino (LOOKUP, and READDIRPLUS entries, add them). */
  forget?(ino: number, nlookup: number): void;
  destroy?(): void;

  // Write operations: EROFS when absent.
  mkdir?(parent: number, name: string, mode: number, ctx: RequestContext): MaybePromise<Attr | number>;
  mknod?(parent: number, name: string, mode: number, rdev: number, ctx: RequestContext): MaybePromise<Attr | number>;
  unlink?(parent: number, name: string, ctx: RequestContext): MaybePromise<number>;
  rmdir?(parent: number, name: string, ctx: RequestContext): MaybePromise<number>;
  rename?(parent: number, name: string, newParent: number, newName: string, flags: number, ctx: RequestContext): MaybePromise<number>;
  symlink?(parent: number, name: string, target: string, ctx: RequestContext): MaybePromise<Attr | number>;
  link?(ino: number, newParent: number, newName: string, ctx: RequestContext): MaybePromise<Attr | number>;
  setattr?(ino: number, req: SetAttrRequest, ctx: RequestContext): MaybePromise<Attr | number>;
  create?(parent: number, name: string, mode: number, flags: number, ctx: RequestContext): MaybePromise<{ attr: Attr; open: OpenReply } | number>;
  /** data is valid only during the call. Returns bytes written. */
  write?(ino: number, fh: number, offset: number, data: Uint8Array, ctx: RequestContext): MaybePromise<number>;
  setxattr?(ino: number, name: string, value: Uint8Array, flags: number): MaybePromise<number>;
  removexattr?(ino: number, name: string): MaybePromise<number>;
}

/** What an FS module exports: `createFileSystem` (or a default export) building one FS per worker. */
export type FileSystemFactory = (options: unknown, info: WorkerInfo) => MaybePromise<FileSystem>;

export interface WorkerInfo {
  worker: number;
  /**
   * Asks the main thread (FuseOptions.onCall) and resolves with its answer; a rejection carries the
   * errno name in `code`. A Uint8Array answer arrives as a copy owned by the worker.
   */
  callMain?: (request: unknown) => Promise<unknown>;
  /**
   * Hands the buffer of a callMain answer back once nothing in the worker uses it any more: the
   * main thread copies its next answers into it instead of into fresh memory (on a VM the page
   * faults of a fresh 1 MiB buffer cost about as much as fetching it). The buffer is transferred.
   */
  giveBack?: (buf: ArrayBuffer) => void;
}
