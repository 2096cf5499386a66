// Public surface of delta sync.
export { syncFolders } from "./local.ts";
export type { SyncOptions, SyncStats, PlannedFile, FileAction } from "./types.ts";
export { relPathProblem, checkRelPath, UnsafePathError, TEMP_PREFIX, STAGING_DIR } from "./paths.ts";
