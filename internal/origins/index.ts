// Public surface of the origins package.
export * from "./types.ts";
export { LocalOrigin, type LocalOriginOptions } from "./local.ts";
export { createNfsOrigin, createSmbOrigin, retryingFsLayer, NFS_RETRY, SMB_RETRY, childStatProbe, type MountedShareOptions } from "./mounted-share.ts";
export { type FsLayer, nodeFsLayer } from "./fs-layer.ts";
export { walk, rangeStream, type WalkEntry } from "./walk.ts";
export { watchOrigin, pollWatch, inotifyWatch } from "./watch.ts";
export { Router, type TrackRef, type TrackLocation, type OriginInfo, type RouterEvent, type RouterOptions } from "./router.ts";
export { FaultyOrigin, type FaultMode } from "./faulty.ts";
export { backoffDelay } from "./backoff.ts";
export { normalizeOriginPath, splitOriginPath } from "./paths.ts";
export { S3Origin, type S3OriginOptions } from "./s3.ts";
export { SftpOrigin, type SftpOriginOptions } from "./sftp.ts";
export { verifyHostKey, sha256Fingerprint, checkKnownHosts } from "./known-hosts.ts";
export { parseRemoteTags, rangeBlob, readHeadTail, originFingerprint, mimeOf, type RangeRead } from "./ranged-tags.ts";
export { createOrigin, createRouter, type FactoryOptions } from "./factory.ts";
