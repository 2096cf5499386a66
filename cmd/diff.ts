// `musicfs diff OLD NEW`: chunk-level difference between two files or two folders.
import type { CAC } from "cac";
import * as fs from "node:fs";
import { EXIT_FAILURE, EXIT_OK, formatBytes, parseCdcOptions, table, UsageError } from "../internal/cli/index.ts";
import { diffPaths, type DiffReport } from "../internal/diff/index.ts";

export function register(cli: CAC): void {
  cli
    .command("diff <old> <new>", "Chunk-level difference between two files or folders: reused vs new bytes, added/removed/renamed files")
    .option("--min <size>", "Smallest chunk (default 16 KiB)")
    .option("--avg <size>", "Target average chunk, a power of two (default 64 KiB)")
    .option("--max <size>", "Largest chunk (default 256 KiB)")
    .option("--json", "Print one JSON object (schema 1: params, files[], errors[], total)")
    .option("--all", "List unchanged files too")
    .example("musicfs diff old.flac new.flac")
    .example("musicfs diff --json /backup/Music ~/Music")
    .action(async (oldPath: string, newPath: string, opts: Record<string, unknown>) => {
      const params = parseCdcOptions(opts);
      for (const p of [oldPath, newPath]) if (!fs.existsSync(p)) throw new UsageError(`${p}: no such file or folder`);
      let report: DiffReport;
      try {
        report = await diffPaths(oldPath, newPath, params);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
      else printDiff(report, Boolean(opts.all));
      for (const e of report.errors) process.stderr.write(`musicfs diff: ${e.path}: ${e.error}\n`);
      process.exitCode = report.errors.length > 0 ? EXIT_FAILURE : EXIT_OK;
    });
}

function printDiff(r: DiffReport, all: boolean): void {
  const shown = r.files.filter((f) => all || f.status !== "unchanged");
  const out: string[] = [];
  if (shown.length > 0) {
    out.push(
      table(
        ["status", "path", "size", "chunks", "reused", "new bytes", "reuse"],
        shown.map((f) => [
          f.status,
          f.from ? `${f.from} -> ${f.path}` : f.path,
          formatBytes(f.status === "removed" ? f.oldBytes : f.newBytes),
          f.chunks,
          f.reusedChunks,
          formatBytes(f.literalBytes),
          f.status === "removed" ? "-" : `${f.reusePercent.toFixed(1)} %`,
        ]),
      ),
    );
    out.push("");
  }
  const t = r.total;
  out.push(`files: ${t.files} (${t.unchanged} unchanged, ${t.modified} modified, ${t.added} added, ${t.renamed} renamed, ${t.removed} removed)`);
  out.push(`chunks: ${t.reusedChunks} of ${t.chunks} reused`);
  out.push(`bytes: ${formatBytes(t.reusedBytes)} of ${formatBytes(t.bytes)} reused (${t.reusePercent.toFixed(2)} %), ${formatBytes(t.literalBytes)} new`);
  process.stdout.write(out.join("\n") + "\n");
}
