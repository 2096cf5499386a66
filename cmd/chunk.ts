// `musicfs chunk PATH...`: FastCDC statistics for files and folders.
import type { CAC } from "cac";
import { EXIT_FAILURE, EXIT_OK, formatBytes, formatRate, parseCdcOptions, startProgress, table, UsageError } from "../internal/cli/index.ts";
import { runChunk, type ChunkRunReport } from "../internal/manifest/index.ts";

export function register(cli: CAC): void {
  cli
    .command("chunk [...paths]", "Split files and folders into content-defined chunks (FastCDC) and report statistics")
    .option("--min <size>", "Smallest chunk, e.g. 16K (default 16 KiB)")
    .option("--avg <size>", "Target average chunk, a power of two (default 64 KiB)")
    .option("--max <size>", "Largest chunk (default 256 KiB)")
    .option("--json", "Print one JSON object (schema 1: params, files[], errors[], total)")
    .option("--list", "Include every chunk's offset, length and SHA-256 id (with --json, or as text)")
    .option("--jobs <n>", "Worker threads for folders (default: number of cores)")
    .example("musicfs chunk ~/Music")
    .example("musicfs chunk --avg 32K --json track.flac")
    .action(async (paths: string[], opts: Record<string, unknown>) => {
      if (paths.length === 0) throw new UsageError("chunk needs at least one file or folder");
      const params = parseCdcOptions(opts);
      const jobs = opts.jobs === undefined ? undefined : Number(opts.jobs);
      if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) throw new UsageError(`--jobs must be a positive integer, got "${opts.jobs}"`);
      let bar: ReturnType<typeof startProgress> | null = null;
      const report = await runChunk(paths, {
        params,
        list: Boolean(opts.list),
        parallelism: jobs,
        onProgress: (done, total, path) => {
          bar ??= startProgress("chunk", total);
          bar.update(done, path);
        },
      });
      (bar as ReturnType<typeof startProgress> | null)?.stop();
      if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
      else printChunkReport(report, Boolean(opts.list));
      for (const e of report.errors) process.stderr.write(`musicfs chunk: ${e.path}: ${e.error}\n`);
      process.exitCode = report.errors.length > 0 ? EXIT_FAILURE : EXIT_OK;
    });
}

function printChunkReport(r: ChunkRunReport, list: boolean): void {
  const out: string[] = [];
  out.push(`FastCDC min ${formatBytes(r.params.min)} / avg ${formatBytes(r.params.avg)} / max ${formatBytes(r.params.max)}, SHA-256 chunk ids`);
  out.push("");
  out.push(
    table(
      ["file", "bytes", "chunks", "min", "avg", "median", "max"],
      r.files.map((f) => [f.path, formatBytes(f.bytes), f.chunks, formatBytes(f.min), formatBytes(f.avg), formatBytes(f.median), formatBytes(f.max)]),
    ),
  );
  if (list) {
    for (const f of r.files) {
      out.push("", f.path);
      for (const c of f.list ?? []) out.push(`  ${String(c.offset).padStart(12)}  ${String(c.length).padStart(8)}  ${c.id}`);
    }
  }
  const t = r.total;
  out.push("");
  out.push(`total: ${t.files} files, ${formatBytes(t.bytes)} in ${t.chunks} chunks (min ${formatBytes(t.min)}, avg ${formatBytes(t.avg)}, median ${formatBytes(t.median)}, max ${formatBytes(t.max)})`);
  out.push(`unique: ${t.uniqueChunks} chunks, ${formatBytes(t.uniqueBytes)} (${formatBytes(t.bytes - t.uniqueBytes)} duplicate)`);
  out.push(`time: ${t.seconds.toFixed(3)} s, ${formatRate(t.bytes, t.seconds)}`);
  if (t.histogram.length > 0) {
    const peak = Math.max(...t.histogram.map((b) => b.count));
    out.push("", "chunk sizes:");
    for (const b of t.histogram) {
      const bar = "#".repeat(Math.max(1, Math.round((40 * b.count) / peak)));
      out.push(`  ${formatBytes(b.from).padStart(9)} - ${formatBytes(b.to).padEnd(9)} ${String(b.count).padStart(8)}  ${bar}`);
    }
  }
  if (r.errors.length > 0) out.push("", `${r.errors.length} error(s); see stderr`);
  process.stdout.write(out.join("\n") + "\n");
}
