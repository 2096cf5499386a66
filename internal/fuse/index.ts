// Public surface of the FUSE layer: startFuse + the FileSystem contract. Knows nothing of music.
export { COMPILED, runtimePath, startFuse, unmountOnSignals, type FuseMount, type FuseOptions } from "./server.ts";
export type { Attr, DirSink, FileSystem, FileSystemFactory, MaybePromise, OpenReply, RequestContext, SetAttrRequest, StatFs, WorkerInfo } from "./filesystem.ts";
export { FuseError } from "./errno.ts";
export * as errno from "./errno.ts";
export { FOPEN_DIRECT_IO, FOPEN_KEEP_CACHE, FOPEN_CACHE_DIR, ROOT_ID } from "./proto.ts";
export { acquireMountLock, clearStaleMount, findMount, unmountFuse } from "./mount.ts";
