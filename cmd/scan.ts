// `musicfs scan LIBRARY...`: read tags of every audio file into the catalog (incremental).
import type { CAC } from "cac";
import { openCatalogOrReport } from "../internal/cli/open-catalog.ts";
import { EXIT_FAILURE, EXIT_OK, startProgress, UsageError, type Progress } from "../internal/cli/index.ts";
import { loadConfigOption } from "../internal/cli/config.ts";
import { summarizeOrigins } from "../internal/mountfs/locations.ts";
import { prebuildTree } from "../internal/mountfs/tree-snapshot.ts";
import { defaultCatalogPath, scanLibrary, trackCount, type ScanSummary } from "../internal/catalog/index.ts";
import { scanConfiguredOrigins } from "../internal/catalog/scan-config.ts";

export function register(cli: CAC): void {
  cli
    .command("scan [...libraries]", "Scan music folders, or the origins of a config (local, NFS, SMB, S3, SFTP), into the catalog; only new and changed files are read again")
    .option("--db <path>", "Catalog database (default: $XDG_DATA_HOME/musicfs/catalog.db)")
    .option("--config <file>", "Scan every enabled origin of this TOML config (remote files are read by ranges, not downloaded)")
    .option("--json", "Print the summary as one JSON object")
    .example("musicfs scan ~/Music /mnt/nas/music")
    .example("musicfs scan --config /etc/musicfs/config.toml")
    .action(async (libraries: string[], opts: { db?: string; json?: boolean; config?: string }) => {
      const roots = libraries.map(String);
      if (roots.length === 0 && opts.config === undefined) throw new UsageError("scan needs at least one folder, or --config FILE");
      const config = opts.config === undefined ? null : loadConfigOption(opts.config, "scan");
      if (opts.db !== undefined && (typeof opts.db !== "string" || opts.db === "")) throw new UsageError("--db needs a path");
      const dbPath = opts.db ?? defaultCatalogPath();
      const db = openCatalogOrReport("scan", dbPath);
      if (!db) return;
      let bar: Progress | null = null;
      const parts: { origin: string; summary: ScanSummary }[] = [];
      const onProgress = (p: { phase: string; done: number; total: number; path?: string }) => {
        if (p.phase === "done") {
          bar?.stop();
          bar = null;
        }
        if (p.phase !== "parse") return;
        bar ??= startProgress("scan", p.total, "items");
        bar.update(p.done, p.path ? shorten(p.path) : "");
      };
      try {
        if (roots.length > 0) parts.push({ origin: "local", summary: await scanLibrary(db, roots, { onProgress }) });
        if (config) parts.push(...(await scanConfiguredOrigins(db, config, { onProgress: (_o, p) => onProgress(p), warn: (m) => process.stderr.write(`musicfs scan: ${m}\n`) })));
      } finally {
        (bar as Progress | null)?.stop();
      }
      const summary = parts.length === 1 ? parts[0].summary : total(parts.map((p) => p.summary));
      // The mount's tree for the default template, rendered now so the next mount starts at once.
      let treeMs = 0;
      try {
        const t0 = performance.now();
        if (prebuildTree(db, config ? summarizeOrigins(config) : [])) treeMs = Math.round(performance.now() - t0);
      } catch (e) {
        process.stderr.write(`musicfs scan: the mount's tree was not prepared (the next mount renders it): ${(e as Error).message}\n`);
      }
      const tracks = trackCount(db);
      db.close();
      const perOrigin = config ? { origins: parts.map((p) => ({ origin: p.origin, ...p.summary })) } : {};
      if (opts.json) process.stdout.write(JSON.stringify({ schema: 1, db: dbPath, tracks, ...summary, treeMs, ...perOrigin }, null, 2) + "\n");
      else {
        if (config) for (const p of parts) process.stdout.write(`${p.origin}: ${p.summary.scanned} files, ${p.summary.added} added, ${p.summary.updated} updated, ${p.summary.removed} removed${p.summary.errors.length ? `, ${p.summary.errors.length} error(s)` : ""}\n`);
        printSummary(summary, dbPath, tracks);
      }
      for (const e of summary.errors) process.stderr.write(`musicfs scan: ${e.path}: ${e.message}\n`);
      // Unreadable tags are normal in real libraries; only folders we could not read are failures.
      process.exitCode = summary.errors.length > 0 ? EXIT_FAILURE : EXIT_OK;
    });
}


/** The sum of several scans (folders and origins). */
function total(parts: ScanSummary[]): ScanSummary {
  const t: ScanSummary = { scanned: 0, added: 0, updated: 0, unchanged: 0, removed: 0, moved: 0, failed: 0, durationMs: 0, errors: [] };
  for (const p of parts) {
    for (const k of ["scanned", "added", "updated", "unchanged", "removed", "moved", "failed", "durationMs"] as const) t[k] += p[k];
    t.errors.push(...p.errors);
  }
  return t;
}

function shorten(p: string): string {
  return p.length > 50 ? "…" + p.slice(-49) : p;
}

function printSummary(s: ScanSummary, dbPath: string, tracks: number): void {
  const secs = s.durationMs / 1000;
  const rate = secs > 0 ? ` (${Math.round(s.scanned / secs)} files/s)` : "";
  const lines = [
    `scanned ${s.scanned} files in ${secs.toFixed(2)} s${rate}`,
    `  added ${s.added}, updated ${s.updated}, unchanged ${s.unchanged}, moved ${s.moved}, removed ${s.removed}`,
  ];
  if (s.failed > 0) lines.push(`  ${s.failed} file(s) with unreadable tags (cataloged without tags; see \`musicfs search '*'\` --json, parseError)`);
  lines.push(`catalog: ${dbPath} (${tracks} tracks)`);
  process.stdout.write(lines.join("\n") + "\n");
}
