// `musicfs trash list|restore|empty`: the mount's trash (files removed with rm through the mount;
// the origin files are never touched).
import type { CAC } from "cac";
import { openCatalogOrReport } from "../internal/cli/open-catalog.ts";
import { EXIT_FAILURE, EXIT_OK, table, UsageError } from "../internal/cli/index.ts";
import { loadConfigOption } from "../internal/cli/config.ts";
import { defaultCatalogPath } from "../internal/catalog/index.ts";
import { summarizeOrigins } from "../internal/mountfs/locations.ts";
import { emptyTrash, Namespace, NamespaceError, trashList, type RestoreResult } from "../internal/mountfs/namespace.ts";
import { templateOption } from "../internal/cli/template.ts";
import { DEFAULT_TEMPLATE } from "../internal/vfs/index.ts";

interface TrashOptions {
  db?: unknown;
  json?: boolean;
  yes?: boolean;
  template?: unknown;
  config?: unknown;
}

const ACTIONS = ["list", "restore", "empty"];

export function register(cli: CAC): void {
  cli
    .command("trash <action> [...args]", "The mount's trash: list, restore PATH|ID..., or empty it (files removed with rm through the mount; origin files are never touched)")
    .option("--db <path>", `Catalog database (default ${defaultCatalogPath()})`)
    .option("--json", "Print one JSON object")
    .option("--yes", "empty: do not ask")
    .option("--template <tpl>", `restore: the path template of the mount (default "${DEFAULT_TEMPLATE}")`)
    .option("--config <file>", "restore: the mount's config (its origins decide which tracks it shows)")
    .example("musicfs trash list")
    .example("musicfs trash restore '/Björk/Homogenic (1997) [FLAC]/01 - Hunter.flac'")
    .example("musicfs trash restore 1234 '/.trash/Sigur Rós'   (an id, or everything removed from under a folder)")
    .example("musicfs trash empty --yes")
    .action(async (action: string, args: unknown[], opts: TrashOptions) => {
      if (!ACTIONS.includes(String(action))) throw new UsageError(`unknown trash action '${action}' (one of: ${ACTIONS.join(", ")})`);
      if (action !== "restore" && args.length > 0) throw new UsageError(`trash ${action} takes no arguments`);
      if (action === "restore" && args.length === 0) throw new UsageError("trash restore needs a path or id (see `musicfs trash list`)");
      if (opts.db !== undefined && (typeof opts.db !== "string" || opts.db === "")) throw new UsageError("--db needs a path");
      const template = templateOption(opts.template);
      const origins = opts.config === undefined ? [] : summarizeOrigins(loadConfigOption(String(opts.config), "trash"));
      if (action === "empty" && !opts.yes && !(await confirm())) throw new UsageError("trash empty: pass --yes to empty the trash (it cannot be undone)");
      const dbPath = (opts.db as string | undefined) ?? defaultCatalogPath();
      const db = openCatalogOrReport("trash", dbPath);
      if (!db) return;
      try {
        if (action === "list") list(db, Boolean(opts.json));
        else if (action === "empty") {
          const purged = emptyTrash(db);
          process.stdout.write(opts.json ? JSON.stringify({ schema: 1, purged }) + "\n" : `emptied the trash: ${purged} track(s) hidden for good (their files are untouched)\n`);
        } else restore(Namespace.forTree(db, template, origins), args.map(String), Boolean(opts.json));
      } finally {
        db.close();
      }
    });
}

function list(db: Parameters<typeof trashList>[0], json: boolean): void {
  const entries = trashList(db);
  if (json) {
    process.stdout.write(JSON.stringify({ schema: 1, entries: entries.map((e) => ({ ...e, trashed: new Date(e.trashedAt).toISOString() })) }, null, 2) + "\n");
    return;
  }
  if (entries.length === 0) {
    process.stdout.write("the trash is empty\n");
    return;
  }
  const when = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");
  process.stdout.write(table(["id", "trashed (UTC)", "path"], entries.map((e) => [e.id, when(e.trashedAt), e.path])) + "\n");
}

/** Each argument on its own: one that fails is reported, the others are still restored. */
function restore(ns: Namespace, args: string[], json: boolean): void {
  const restored: RestoreResult[] = [];
  const errors: { arg: string; code: string; error: string }[] = [];
  for (const arg of args) {
    try {
      // A bare number is a catalog id; a path with a digit-only name is written with a "/".
      restored.push(...ns.restore(/^\d+$/.test(arg) ? Number(arg) : arg));
    } catch (e) {
      if (!(e instanceof NamespaceError)) throw e;
      errors.push({ arg, code: e.code, error: e.message });
    }
  }
  if (json) process.stdout.write(JSON.stringify({ schema: 1, restored, errors }, null, 2) + "\n");
  else for (const r of restored) process.stdout.write(r.to === r.from ? `restored ${r.to}\n` : `restored ${r.from} as ${r.to} (the path was taken)\n`);
  for (const e of errors) process.stderr.write(`musicfs trash restore: ${e.arg}: ${e.error}\n`);
  process.exitCode = errors.length > 0 ? EXIT_FAILURE : EXIT_OK;
}

/** Asks on a terminal; elsewhere (scripts) only --yes empties. */
async function confirm(): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  process.stderr.write("Empty the trash? Its tracks disappear from the mount for good (the files stay). [y/N] ");
  for await (const line of console) return /^y(es)?$/i.test(line.trim());
  return false;
}
