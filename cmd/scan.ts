// `musicfs scan LIBRARY...`: read tags of every audio file into the catalog (incremental).
import type { CAC } from "cac";
import { EXIT_FAILURE, EXIT_OK, startProgress, UsageError, type Progress } from "../internal/cli/index.ts";
import { defaultCatalogPath, openCatalog, scanLibrary, trackCount, type ScanSummary } from "../internal/catalog/index.ts";

export function register(cli: CAC): void {
  cli
    .command("scan <...libraries>", "Scan music folders into the catalog (only new and changed files are read again)")
    .option("--db <path>", "Catalog database (default: $XDG_DATA_HOME/musicfs/catalog.db)")
    .option("--json", "Print the summary as one JSON object")
    .example("musicfs scan ~/Music /mnt/nas/music")
    .action(async (libraries: string[], opts: { db?: string; json?: boolean }) => {
      const roots = libraries.map(String);
      if (roots.length === 0) throw new UsageError("scan needs at least one folder");
      if (opts.db !== undefined && (typeof opts.db !== "string" || opts.db === "")) throw new UsageError("--db needs a path");
      const dbPath = opts.db ?? defaultCatalogPath();
      let db: ReturnType<typeof openCatalog>;
      try {
        db = openCatalog(dbPath);
      } catch (e) {
        process.stderr.write(`musicfs scan: cannot open catalog ${dbPath}: ${(e as Error).message}\n`);
        process.exitCode = EXIT_FAILURE;
        return;
      }
      let bar: Progress | null = null;
      let summary: ScanSummary;
      try {
        summary = await scanLibrary(db, roots, {
          onProgress: (p) => {
            if (p.phase !== "parse") return;
            bar ??= startProgress("scan", p.total, "items");
            bar.update(p.done, p.path ? shorten(p.path) : "");
          },
        });
      } finally {
        (bar as Progress | null)?.stop();
      }
      const tracks = trackCount(db);
      db.close();
      if (opts.json) process.stdout.write(JSON.stringify({ schema: 1, db: dbPath, tracks, ...summary }, null, 2) + "\n");
      else printSummary(summary, dbPath, tracks);
      for (const e of summary.errors) process.stderr.write(`musicfs scan: ${e.path}: ${e.message}\n`);
      // Unreadable tags are normal in real libraries; only folders we could not read are failures.
      process.exitCode = summary.errors.length > 0 ? EXIT_FAILURE : EXIT_OK;
    });
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
