// `scan --config` / `mount --config --scan`: every enabled origin of the config into the catalog,
// each under its id. Folders the OS can read (local, and NFS/SMB shares it has mounted) use the
// folder scan (worker threads, absolute paths); S3 and SFTP are listed and read by ranges.
import type { Database } from "bun:sqlite";
import type { MusicFsConfig } from "../config/index.ts";
import { createOrigin, type Origin } from "../origins/index.ts";
import { scanLibrary, type ScanProgress, type ScanSummary } from "./scan.ts";
import { scanOrigin } from "./scan-origin.ts";

export interface OriginScanResult {
  origin: string;
  summary: ScanSummary;
}

export async function scanConfiguredOrigins(
  db: Database,
  config: MusicFsConfig,
  opts: { onProgress?: (origin: string, p: ScanProgress) => void; warn?: (m: string) => void } = {},
): Promise<OriginScanResult[]> {
  const out: OriginScanResult[] = [];
  for (const c of config.origins) {
    if (!c.enabled) continue;
    out.push({ origin: c.id, summary: await scanConfiguredOrigin(db, config, c.id, { onProgress: (p) => opts.onProgress?.(c.id, p), warn: opts.warn }) });
  }
  return out;
}

/**
 * One origin of the config into the catalog (incremental: only new and changed files are read).
 * `origin` is an open client of it to use (the mount's, when it rescans after a change); without
 * one, a client is made for the scan and closed after.
 */
export async function scanConfiguredOrigin(
  db: Database,
  config: MusicFsConfig,
  id: string,
  opts: { onProgress?: (p: ScanProgress) => void; warn?: (m: string) => void; origin?: Origin; keepAllIfEmpty?: boolean } = {},
): Promise<ScanSummary> {
  const i = config.origins.findIndex((c) => c.id === id);
  if (i < 0) throw new Error(`no origin ${JSON.stringify(id)} in the config`);
  const c = config.origins[i];
  const keepAllIfEmpty = opts.keepAllIfEmpty;
  if (c.type === "local" || c.type === "nfs" || c.type === "smb") return scanLibrary(db, [c.path], { origin: c.id, onProgress: opts.onProgress, keepAllIfEmpty });
  if (opts.origin) return scanOrigin(db, opts.origin, { onProgress: opts.onProgress, keepAllIfEmpty });
  const origin = createOrigin(c, i, { warn: opts.warn }, config.file);
  try {
    return await scanOrigin(db, origin, { onProgress: opts.onProgress, keepAllIfEmpty });
  } finally {
    await origin.close().catch(() => {});
  }
}
