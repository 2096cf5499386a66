// Remote sync: client (push and pull) and the server side to register on a Connect router.
export { isRemoteSpec, parseRemoteSpec, type RemoteSpec } from "./spec.ts";
export { syncRemote, type RemoteTarget } from "./client.ts";
