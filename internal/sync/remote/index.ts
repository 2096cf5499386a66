// Remote sync: client (push and pull) and the server side to register on a Connect router.
export { isRemoteSpec, parseRemoteSpec, type RemoteSpec } from "./spec.ts";
export { syncRemote, type RemoteTarget, type RemoteSyncOptions } from "./client.ts";
export { registerSyncService, type SyncServiceOptions } from "./server.ts";
export { startSyncServer, type SyncServerHandle } from "./h2c-server.ts";
