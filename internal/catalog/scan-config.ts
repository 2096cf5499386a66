// `scan --config` / `mount --config --scan`: every enabled origin of the config into the catalog,
// each under its id. Folders the OS can read (local, and NFS/SMB shares it has mounted) use the
// folder scan (worker threads, absolute paths); S3 and SFTP are listed and read by ranges.
import type { Database } from "bun:sqlite";
import type { MusicFsConfig } from "../config/index.ts";
import { createOrigin } from "../origins/index.ts";
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
  for (const [i, c] of config.origins.entries()) {
    if (!c.enabled) continue;
    const onProgress = (p: ScanProgress) => opts.onProgress?.(c.id, p);
    if (c.type === "local" || c.type === "nfs" || c.type === "smb") {
      out.push({ origin: c.id, summary: await scanLibrary(db, [c.path], { origin: c.id, onProgress }) });
      continue;
    }
    const origin = createOrigin(c, i, { warn: opts.warn }, config.file);
    try {
      out.push({ origin: c.id, summary: await scanOrigin(db, origin, { onProgress }) });
    } finally {
      await origin.close().catch(() => {});
    }
  }
  return out;
}
