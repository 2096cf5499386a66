// Public surface of delta sync (and the hooks bench scenarios call).
import { parseRemoteSpec, syncRemote, type RemoteSyncOptions } from "./remote/index.ts";
import type { SyncStats } from "./types.ts";

export { syncFolders } from "./local.ts";
export type { SyncOptions, SyncStats, PlannedFile, FileAction } from "./types.ts";
export { relPathProblem, checkRelPath, UnsafePathError, TEMP_PREFIX, STAGING_DIR } from "./paths.ts";
export { syncRemote, registerSyncService, startSyncServer, parseRemoteSpec, isRemoteSpec } from "./remote/index.ts";
export type { RemoteSyncOptions, SyncServiceOptions, SyncServerHandle, RemoteTarget, RemoteSpec } from "./remote/index.ts";

/** Push a local folder to musicfs://HOST:PORT/NAME[/SUB]; stats.wire has the bytes on the wire. */
export function syncToRemote(src: string, url: string, opts: RemoteSyncOptions = {}): Promise<SyncStats> {
  return syncRemote({ src, push: parseRemoteSpec(url) }, opts);
}

/** Pull musicfs://HOST:PORT/NAME[/SUB] into a local folder. */
export function syncFromRemote(url: string, dst: string, opts: RemoteSyncOptions = {}): Promise<SyncStats> {
  return syncRemote({ pull: parseRemoteSpec(url), dst }, opts);
}
