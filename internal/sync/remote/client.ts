import type { SyncOptions, SyncStats } from "../types.ts";
import type { RemoteSpec } from "./spec.ts";

export type RemoteTarget = { src: string; push: RemoteSpec } | { pull: RemoteSpec; dst: string };

export async function syncRemote(_target: RemoteTarget, _opts: SyncOptions & { token?: string }): Promise<SyncStats> {
  throw new Error("remote sync is not implemented yet");
}
