// `musicfs mount MOUNTPOINT`: the catalog as a tag-organised, read-only FUSE tree, in the foreground
// until SIGINT/SIGTERM (then a clean unmount).
import type { CAC } from "cac";
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultCatalogPath, openCatalog, scanLibrary, trackCount } from "../internal/catalog/index.ts";
import { UsageError } from "../internal/cli/index.ts";
import { runtimePath, startFuse, unmountOnSignals } from "../internal/fuse/index.ts";
import type { MusicFsOptions } from "../internal/mountfs/music-fs.ts";
import { compileTemplate, DEFAULT_TEMPLATE, TemplateError } from "../internal/vfs/index.ts";

export function register(cli: CAC): void {
  cli
    .command("mount <mountpoint>", "Mount the music library as a read-only tree by tags, with hidden search folders (/.search/<query>/)")
    .option("--db <path>", `Catalog database (default ${defaultCatalogPath()})`)
    .option("--library <dir>", "Scan this folder into the catalog before mounting (repeatable)")
    .option("--template <tpl>", `Path template (default "${DEFAULT_TEMPLATE}")`)
    .option("--workers <n>", "FUSE request threads (default: number of cores)")
    .option("--search-limit <n>", "Most entries a search folder lists (default 1000)")
    .option("--json", "Print the ready line as JSON")
    .example("musicfs mount --library ~/Music /mnt/music")
    .example("ls '/mnt/music/.search/artist:björk year:1990..1999'")
    .action(async (mountpoint: string, opts: Record<string, unknown>) => {
      const db = String(opts.db ?? defaultCatalogPath());
      const template = String(opts.template ?? DEFAULT_TEMPLATE);
      try {
        compileTemplate(template);
      } catch (e) {
        if (e instanceof TemplateError) throw new UsageError(`--template: ${e.message}`);
        throw e;
      }
      const workers = opts.workers === undefined ? undefined : positiveInt(opts.workers, "--workers");
      const searchLimit = opts.searchLimit === undefined ? 1000 : positiveInt(opts.searchLimit, "--search-limit");
      if (!fs.existsSync(mountpoint) || !fs.statSync(mountpoint).isDirectory()) throw new UsageError(`${mountpoint}: not a directory`);
      const libraries = ([] as unknown[]).concat(opts.library ?? []).map(String);

      const catalog = openCatalog(db);
      try {
        for (const lib of libraries) {
          const summary = await scanLibrary(catalog, [lib]);
          process.stderr.write(`scanned ${lib}: ${summary.scanned} files (${summary.added} added, ${summary.updated} updated, ${summary.removed} removed, ${summary.failed} untagged)\n`);
        }
        if (trackCount(catalog) === 0) process.stderr.write(`musicfs mount: the catalog ${db} has no tracks; run 'musicfs scan DIR' or pass --library DIR\n`);
      } finally {
        catalog.close();
      }

      const abs = path.resolve(mountpoint);
      const fsOptions: MusicFsOptions = { db: path.resolve(db), template, mountpoint: abs, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, searchLimit };
      const started = performance.now();
      const m = await startFuse({
        mountpoint: abs,
        fsModule: runtimePath("internal/mountfs/music-fs.ts"),
        fsOptions,
        workers,
        onStaleCleared: (mp) => process.stderr.write(`musicfs mount: cleared a stale mount at ${mp}\n`),
      });
      const ms = performance.now() - started;
      unmountOnSignals(m);
      if (opts.json) process.stdout.write(JSON.stringify({ event: "mounted", mountpoint: m.mountpoint, method: m.method, db, ms: Math.round(ms) }) + "\n");
      else process.stdout.write(`musicfs: mounted ${db} at ${m.mountpoint} in ${ms.toFixed(0)} ms (${m.method}); Ctrl-C unmounts\n`);
      await m.closed;
      process.exitCode = 0;
    });
}

function positiveInt(v: unknown, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got "${v}"`);
  return n;
}
