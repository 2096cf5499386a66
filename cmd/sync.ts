// `musicfs sync SRC DST`: delta sync between folders or files, locally or with a remote
// `musicfs serve` (musicfs://HOST:PORT/NAME on either side). Wiring and output only.
import type { CAC } from "cac";
import * as fs from "node:fs";
import { EXIT_FAILURE, EXIT_OK, formatBytes, parseCdcOptions, startProgress, UsageError } from "../internal/cli/index.ts";
import { rawOption } from "../internal/cli/raw-options.ts";
import { syncFolders, type SyncOptions, type SyncStats } from "../internal/sync/index.ts";
import { isRemoteSpec, parseRemoteSpec, syncRemote } from "../internal/sync/remote/index.ts";

export function register(cli: CAC): void {
  cli
    .command("sync [src] [dst]", "Delta sync of a folder or file: only changed chunks move, every file is replaced atomically")
    .option("--delete", "Remove destination files the source does not have")
    .option("-n, --dry-run", "Print the plan and the bytes it would move; change nothing")
    .option("--checksum", "Compare content (chunk IDs) instead of size and mtime")
    .option("--exclude <pattern>", "Leave out paths or names matching a glob (repeatable)")
    .option("--index-all", "Reuse chunks from every destination file (reads all of them; default: old versions, removed and same-size files)")
    .option("--no-delta", "Send changed chunks whole instead of as sub-chunk deltas")
    .option("--token <token>", "Bearer token for a remote musicfs serve (prefer the MUSICFS_TOKEN variable; flags show in ps)")
    .option("--json", "Print one JSON object with the statistics (schema 1)")
    .option("--min <size>", "Smallest chunk (default 16 KiB)")
    .option("--avg <size>", "Target average chunk, a power of two (default 64 KiB)")
    .option("--max <size>", "Largest chunk (default 256 KiB)")
    .example("musicfs sync ~/Music /mnt/backup/Music")
    .example("musicfs sync --delete --exclude '*.tmp' ~/Music /mnt/backup/Music")
    .example("MUSICFS_TOKEN=... musicfs sync ~/Music musicfs://nas:50051/music")
    .example("musicfs sync --dry-run --json musicfs://nas:50051/music ~/Music")
    .action(async (_src: unknown, _dst: unknown, flags: Record<string, unknown>) => {
      // cac hands mri the camelCased name of --dry-run as a boolean, so mri takes the next word
      // as its value ("--dry-run SRC DST" loses SRC). Read positionals and that flag from the raw args.
      const raw = argsAfter(cli.rawArgs, "sync");
      const positional = positionals(raw);
      if (positional.length !== 2) throw new UsageError(`expected SRC and DST, got ${positional.length} path${positional.length === 1 ? "" : "s"}. Run 'musicfs sync --help'.`);
      const [src, dst] = positional;
      flags.dryRun = raw.includes("--dry-run") || raw.includes("-n");
      const params = parseCdcOptions(flags);
      const exclude = ([] as unknown[]).concat(flags.exclude ?? []).map(String);
      if (exclude.some((p) => p === "" || p === "true")) throw new UsageError("--exclude needs a pattern");
      const remoteSrc = isRemoteSpec(src);
      const remoteDst = isRemoteSpec(dst);
      if (remoteSrc && remoteDst) throw new UsageError("at most one side can be remote (musicfs://...)");
      if (!remoteSrc && !fs.existsSync(src) && !isLink(src)) throw new UsageError(`${src}: no such file or folder`);
      const json = Boolean(flags.json);
      let bar: ReturnType<typeof startProgress> | null = null;
      const opts: SyncOptions = {
        delete: Boolean(flags.delete),
        dryRun: Boolean(flags.dryRun),
        checksum: Boolean(flags.checksum),
        exclude,
        params,
        delta: flags.delta !== false,
        indexAll: Boolean(flags.indexAll) || cli.rawArgs.includes("--index-all"),
        onProgress: (done, total, p) => {
          bar ??= startProgress("sync", total);
          bar.update(done, p);
        },
      };
      let stats: SyncStats;
      try {
        stats = await runSync();
      } catch (e) {
        if (e instanceof UsageError) throw e;
        // Whole-run failures (unreachable server, refused manifest, bad token): one clear line, exit 1.
        process.stderr.write(`musicfs sync: ${(e as Error).message}\n`);
        process.exitCode = EXIT_FAILURE;
        return;
      }
      if (json) process.stdout.write(JSON.stringify(stats, null, 2) + "\n");
      else printStats(stats);
      for (const e of stats.errors) process.stderr.write(`musicfs sync: ${e.path}: ${e.error}\n`);
      process.exitCode = stats.errors.length > 0 ? EXIT_FAILURE : EXIT_OK;

      async function runSync(): Promise<SyncStats> {
        try {
          if (remoteSrc || remoteDst) {
            const token = rawOption(cli.rawArgs, "--token") ?? (process.env.MUSICFS_TOKEN || undefined);
            let remote;
            try {
              remote = parseRemoteSpec(remoteSrc ? src : dst);
            } catch (e) {
              throw new UsageError((e as Error).message);
            }
            return await syncRemote(remoteSrc ? { pull: remote, dst } : { src, push: remote }, { ...opts, token });
          }
          return await syncFolders(src, dst, opts);
        } finally {
          (bar as ReturnType<typeof startProgress> | null)?.stop();
        }
      }
    });
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function printStats(s: SyncStats): void {
  const out: string[] = [];
  if (s.dryRun) {
    for (const p of s.plan) out.push(`${p.action.padEnd(8)} ${p.path}${p.bytes > 0 ? `  (${formatBytes(p.literal)} to move of ${formatBytes(p.bytes)})` : ""}`);
    out.push("dry run: nothing was changed");
  }
  const f = s.files;
  out.push(`files: ${f.total} (${f.new} new, ${f.changed} changed, ${f.unchanged} unchanged, ${f.deleted} deleted${f.failed ? `, ${f.failed} failed` : ""})`);
  const b = s.bytes;
  out.push(`bytes: ${formatBytes(b.total)} total, ${formatBytes(b.written)} ${s.dryRun ? "to write" : "written"}, ${formatBytes(b.reused)} reused, ${formatBytes(b.literal)} literal`);
  const wire = s.wire ? ` (wire: ${formatBytes(s.wire.sent)} sent, ${formatBytes(s.wire.received)} received)` : "";
  out.push(`moved ${formatBytes(b.moved)}${wire}, speedup ${s.speedup.toFixed(2)}, ${s.seconds.toFixed(2)} s`);
  process.stdout.write(out.join("\n") + "\n");
}

/** Options of this command that take a value (the rest are flags). */
const VALUE_OPTIONS = new Set(["--exclude", "--token", "--min", "--avg", "--max"]);

function argsAfter(argv: string[], command: string): string[] {
  const i = argv.indexOf(command);
  return i >= 0 ? argv.slice(i + 1) : argv;
}

/** Non-option words (after "--", everything is positional). */
function positionals(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      out.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("-") && a.length > 1) {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

