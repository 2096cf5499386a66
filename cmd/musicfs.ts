#!/usr/bin/env bun
// The `musicfs` executable: wiring only. Each subcommand lives in its own file under cmd/.
import { cac } from "cac";
import pkg from "../package.json" with { type: "json" };
import { EXIT_USAGE, UsageError } from "../internal/cli/errors.ts"; // not index.ts: its progress bar costs --help ~8 ms
import { COMMANDS } from "./commands.ts";
import { prestartFuseWorker } from "../internal/fuse/prestart.ts";
import { runtimePath } from "../internal/runtime/index.ts";

/**
 * The CLI with the real definition of the command being run (loaded on demand), and one-line
 * stand-ins for the others: enough for the top-level help and the unknown-command check.
 */
/** The subcommand named on the command line: the first argument that is not an option. */
function commandName(argv: string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith("-"));
}

async function buildCli(argv: string[]) {
  const cli = cac("musicfs");
  const wanted = commandName(argv);
  for (const [name, entry] of Object.entries(COMMANDS)) {
    if (name === wanted) (await entry.load()).register(cli);
    else cli.command(entry.usage, entry.summary).allowUnknownOptions();
  }
  // cac marks a --no-X flag "(default: true)" (the value of X), which reads as if --no-X were on.
  cli.help((sections) => sections.map((s) => ({ ...s, body: s.body.replace(/^(\s*--no-.*?) \(default: true\)/gm, "$1") })));
  cli.option("-v, --version", "Print the version");
  cli.usage("<command> [options]\n\n  Music storage toolkit: content-defined chunking, delta sync, a tag-organised FUSE mount and a search API.\n  Run `musicfs <command> --help` for a command's options.");
  return cli;
}

function fail(message: string, code: number): never {
  process.stderr.write(`musicfs: ${message}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  // NFR-1.7 (mount ready < 100 ms): the first FUSE worker boots while the mount command loads.
  if (commandName(argv) === "mount" && !argv.includes("--help") && !argv.includes("-h")) prestartFuseWorker(runtimePath("internal/mountfs/music-fs.ts"));
  const cli = await buildCli(argv);
  cli.addEventListener("command:*", () => {
    fail(`unknown command '${cli.args[0]}'. Run 'musicfs --help' for the list of commands.`, EXIT_USAGE);
  });
  let parsed;
  try {
    parsed = cli.parse(argv, { run: false });
  } catch (e) {
    fail(`${(e as Error).message}. Run 'musicfs --help'.`, EXIT_USAGE);
  }
  if (!cli.matchedCommand) {
    if (parsed.options.version && !parsed.options.help) {
      process.stdout.write(`musicfs ${pkg.version} (bun ${Bun.version}, ${process.platform}-${process.arch})\n`);
      return;
    }
    if (!parsed.options.help) {
      cli.outputHelp();
      process.exitCode = parsed.args.length === 0 ? EXIT_USAGE : process.exitCode;
    }
    return;
  }
  if (!cli.matchedCommand.commandAction) {
    // A stand-in matched: something before the command name looked like one (e.g. an option value).
    fail(`options go after the command: musicfs ${cli.matchedCommandName} [options]`, EXIT_USAGE);
  }
  if (parsed.options.help) return;
  try {
    await cli.runMatchedCommand();
  } catch (e) {
    if (e instanceof UsageError) fail(e.message, EXIT_USAGE);
    if ((e as Error).name === "CACError") fail(`${(e as Error).message}. Run 'musicfs ${cli.matchedCommandName} --help'.`, EXIT_USAGE);
    throw e;
  }
}

// No top-level await: the compiled executable is built with --bytecode, which needs a plain script.
main(process.argv).catch((e: unknown) => {
  process.stderr.write(`musicfs: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
