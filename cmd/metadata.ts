// `musicfs metadata get|set|clear|import`: the metadata overlay's client. Edits are kept in the
// catalog and shown by the mount in a synthesised header; origin files are never written. Talks
// to the catalog file directly (--db, the default) through the same MetadataService code that
// `serve` runs, or to a running `serve` / `mount --serve` (--server).
import type { CAC } from "cac";
import { Code, ConnectError, createClient, createRouterTransport, type Client, type Transport } from "@connectrpc/connect";
import * as fs from "node:fs";
import * as path from "node:path";
import { apiTransport } from "../internal/cli/api-client.ts";
import { EXIT_FAILURE, EXIT_USAGE, UsageError } from "../internal/cli/index.ts";
import { rawOption } from "../internal/cli/raw-options.ts";
import { defaultCatalogPath, openCatalog } from "../internal/catalog/index.ts";
import { tagsFromColumns } from "../internal/overlay/import.ts";
import type { OverlayTags } from "../internal/overlay/index.ts";
import { catalogMetadata, registerMusicfsServices } from "../internal/rpc/index.ts";
import { FILE_INO_BASE } from "../internal/vfs/index.ts";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { MetadataService, type MetadataResponse, type UpdateMetadataRequestSchema } from "../proto/gen/musicfs/v1/musicfs_pb.ts";

interface MetadataCliOptions {
  db?: string;
  server?: string;
  id?: unknown;
  format?: string;
  json?: boolean;
}

const ACTIONS = ["get", "set", "clear", "import"] as const;
/** KEY=VALUE keys `set` takes: the fields UpdateMetadata carries. */
const SET_KEYS = "title, artist, album, album_artist, genre, composer, date (or year), track, disc, mb_recording_id, mb_album_id, mb_artist_id";

export function register(cli: CAC): void {
  cli
    .command("metadata <action> [...args]", "Edit tags without touching files (metadata overlay): get, set, clear, import")
    .option("--db <path>", "Catalog database (default: $XDG_DATA_HOME/musicfs/catalog.db); a running mount shows edits within a second or two")
    .option("--server <url>", "Ask a running `musicfs serve --db` or `mount --serve` instead (http://HOST:PORT or unix:PATH)")
    .option("--id <n>", "Name the track by its catalog id instead of a path")
    .option("--format <csv|json>", "import: the file's format (default: from its extension)")
    .option("--json", "Print JSON (get: the tags; set/clear/import: the outcome)")
    .example("musicfs metadata get /mnt/music/Björk/Homogenic\\ \\(1997\\)\\ \\[FLAC\\]/01\\ -\\ Hunter.flac")
    .example("musicfs metadata set ~/Music/a.mp3 title='Hunter (Live)' track=3 genre=   (an empty value removes the tag)")
    .example("musicfs metadata clear --id 42")
    .example("musicfs metadata import edits.csv   (columns: file_id | path | mb_recording_id, then fields)")
    .action(async (action: string, args: string[], opts: MetadataCliOptions) => {
      if (!(ACTIONS as readonly string[]).includes(action)) throw new UsageError(`metadata: unknown action "${action}" (one of ${ACTIONS.join(", ")})`);
      const { client, close } = connect(cli, opts);
      try {
        await run(action as (typeof ACTIONS)[number], args.map(String), opts, client, cli.rawArgs);
      } catch (e) {
        if (e instanceof UsageError) throw e;
        const err = ConnectError.from(e);
        process.stderr.write(`musicfs metadata ${action}: ${err.rawMessage}\n`);
        process.exitCode = err.code === Code.InvalidArgument ? EXIT_USAGE : EXIT_FAILURE;
      } finally {
        close();
      }
    });
}

function connect(cli: CAC, opts: MetadataCliOptions): { client: Client<typeof MetadataService>; close: () => void } {
  let transport: Transport;
  let close = () => {};
  if (opts.server !== undefined) {
    if (opts.db !== undefined) throw new UsageError("--db and --server exclude each other: the server edits its own catalog");
    transport = apiTransport(String(opts.server), rawOption(cli.rawArgs, "--token") ?? (process.env.MUSICFS_TOKEN || undefined));
  } else {
    const dbPath = opts.db ?? defaultCatalogPath();
    if (!fs.existsSync(dbPath)) throw new UsageError(`no catalog at ${dbPath}; run \`musicfs scan FOLDER\` first (or pass --db)`);
    const db = openCatalog(dbPath, { readonly: true });
    const backend = catalogMetadata(db, dbPath);
    transport = createRouterTransport((r) => registerMusicfsServices(r, { metadata: backend }));
    close = () => {
      backend.close?.();
      db.close();
    };
  }
  return { client: createClient(MetadataService, transport), close };
}

async function run(action: (typeof ACTIONS)[number], args: string[], opts: MetadataCliOptions, client: Client<typeof MetadataService>, rawArgs: string[]): Promise<void> {
  const out = (human: string, json: unknown): void => void process.stdout.write(opts.json ? JSON.stringify(json, null, 2) + "\n" : human);
  if (action === "import") {
    if (args.length !== 1) throw new UsageError("metadata import takes one file (CSV or JSON)");
    return importFile(client, path.resolve(args[0]), opts, out);
  }
  const idText = rawOption(rawArgs, "--id");
  const target = idText === undefined ? args.shift() : undefined;
  if (idText === undefined && target === undefined) throw new UsageError(`metadata ${action} needs a file (a path in the mount or on an origin) or --id N`);
  const fileId = idText !== undefined ? positiveId(idText) : await idOf(client, target!);
  if (action === "get") {
    if (args.length > 0) throw new UsageError("metadata get takes one file");
    const m = await client.getMetadata({ virtualPath: `#${fileId}` });
    return out(describe(m), jsonOf(m));
  }
  if (action === "clear") {
    if (args.length > 0) throw new UsageError("metadata clear takes one file");
    const r = await client.clearOverlay({ fileId: BigInt(fileId) });
    return out(r.errorMessage ? `track ${fileId}: ${r.errorMessage}\n` : `track ${fileId}: edits cleared; the file's own tags show again\n`, { fileId, cleared: !r.errorMessage });
  }
  if (args.length === 0) throw new UsageError(`metadata set needs KEY=VALUE pairs (keys: ${SET_KEYS})`);
  const pairs: Record<string, string> = {};
  for (const a of args) {
    const eq = a.indexOf("=");
    if (eq <= 0) throw new UsageError(`metadata set: "${a}" is not KEY=VALUE (keys: ${SET_KEYS})`);
    pairs[a.slice(0, eq)] = a.slice(eq + 1);
  }
  let tags: OverlayTags;
  try {
    tags = tagsFromColumns(pairs);
  } catch (e) {
    throw new UsageError(`metadata set: ${(e as Error).message}`);
  }
  await client.updateMetadata({ fileId: BigInt(fileId), ...requestOf(tags) });
  out(`track ${fileId}: ${Object.keys(tags).join(", ")} edited\n`, { fileId, edited: Object.keys(tags) });
}

/** The track a path names: a file in a musicfs mount carries its catalog id in its inode. */
async function idOf(client: Client<typeof MetadataService>, target: string): Promise<number> {
  const abs = path.resolve(target);
  const st = fs.statSync(abs, { throwIfNoEntry: false });
  if (st?.isFile() && st.ino > FILE_INO_BASE && onMusicfsMount(abs)) return st.ino - FILE_INO_BASE;
  const m = await client.getMetadata({ virtualPath: st ? abs : target });
  return Number(m.fileId);
}

function onMusicfsMount(p: string): boolean {
  let mounts: string;
  try {
    mounts = fs.readFileSync("/proc/self/mounts", "utf8");
  } catch {
    return false;
  }
  return mounts.split("\n").some((l) => {
    const [, dir, type] = l.split(" ");
    const at = dir?.replace(/\\040/g, " ");
    return type?.startsWith("fuse.musicfs") && (p === at || p.startsWith(at + "/"));
  });
}

function positiveId(s: string): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--id must be a positive track id, got "${s}"`);
  return n;
}

/** The overlay's edit record as UpdateMetadata fields ("" and 0 remove a tag). */
function requestOf(tags: OverlayTags): MessageInitShape<typeof UpdateMetadataRequestSchema> {
  const text = (v: string | readonly string[] | null | undefined) => (v === undefined ? undefined : v === null ? "" : typeof v === "string" ? v : v.join("; "));
  const num = (v: number | null | undefined) => (v === undefined ? undefined : v ?? 0);
  const unsupported = (["trackTotal", "discTotal", "mbReleaseTrackId", "mbAlbumArtistId", "mbReleaseGroupId"] as const).filter((k) => tags[k] !== undefined);
  if (unsupported.length > 0) throw new UsageError(`metadata set: ${unsupported.join(", ")} cannot be edited through the API yet (keys: ${SET_KEYS})`);
  const req: Record<string, string | number | undefined> = {
    title: text(tags.title),
    artist: text(tags.artist),
    album: text(tags.album),
    albumArtist: text(tags.albumArtist),
    genre: text(tags.genre),
    composer: text(tags.composer),
    date: tags.date === undefined ? undefined : tags.date === null ? "" : String(tags.date),
    trackNumber: num(tags.trackNo),
    discNumber: num(tags.discNo),
    mbRecordingId: text(tags.mbRecordingId),
    mbAlbumId: text(tags.mbAlbumId),
    mbArtistId: text(tags.mbArtistId),
  };
  for (const k of Object.keys(req)) if (req[k] === undefined) delete req[k];
  return req as MessageInitShape<typeof UpdateMetadataRequestSchema>;
}

const SHOWN: [keyof MetadataResponse, string][] = [
  ["title", "title"], ["artist", "artist"], ["album", "album"], ["albumArtist", "album artist"], ["genre", "genre"], ["composer", "composer"],
  ["date", "date"], ["track", "track"], ["trackTotal", "track total"], ["disc", "disc"], ["discTotal", "disc total"], ["format", "format"],
  ["mbRecordingId", "mb recording"], ["mbAlbumId", "mb album"], ["mbArtistId", "mb artist"],
];
/** MetadataResponse field → the overlay field whose edit it shows. */
const EDITED_AS: Partial<Record<keyof MetadataResponse, string>> = { albumArtist: "albumArtist", track: "trackNo", trackTotal: "trackTotal", disc: "discNo", discTotal: "discTotal" };

function describe(m: MetadataResponse): string {
  const edited = new Set((m.customTags["musicfs.overlay.fields"] ?? "").split(",").filter(Boolean));
  const lines = [`track ${m.fileId}${edited.size > 0 ? ` (edited fields marked *, overlay version ${m.customTags["musicfs.overlay.version"]})` : ""}`];
  for (const [k, label] of SHOWN) {
    const v = m[k];
    const mark = edited.has(EDITED_AS[k] ?? String(k)) ? "*" : " ";
    if (v !== undefined && v !== "") lines.push(` ${mark} ${label.padEnd(13)} ${String(v)}`);
    else if (mark === "*") lines.push(` * ${label.padEnd(13)} (removed)`);
  }
  return lines.join("\n") + "\n";
}

function jsonOf(m: MetadataResponse): Record<string, unknown> {
  const o: Record<string, unknown> = { fileId: Number(m.fileId) };
  for (const [k] of SHOWN) if (m[k] !== undefined) o[k] = typeof m[k] === "bigint" ? Number(m[k]) : m[k];
  o.editedFields = (m.customTags["musicfs.overlay.fields"] ?? "").split(",").filter(Boolean);
  return o;
}

async function importFile(client: Client<typeof MetadataService>, file: string, opts: MetadataCliOptions, out: (human: string, json: unknown) => void): Promise<void> {
  let imported = 0;
  let total = 0;
  const problems: { row: string; message: string }[] = [];
  for await (const p of client.importMetadata({ sourcePath: file, format: opts.format })) {
    imported = p.imported;
    total = p.total;
    if (p.errorMessage) {
      problems.push({ row: p.currentFile ?? "?", message: p.errorMessage });
      if (!opts.json) process.stderr.write(`musicfs metadata import: ${p.currentFile}: ${p.errorMessage}\n`);
    }
  }
  out(`imported ${imported} of ${total} rows from ${file}${problems.length ? `; ${problems.length} not imported (above)` : ""}\n`, { file, imported, total, problems });
  if (problems.length > 0) process.exitCode = EXIT_FAILURE;
}
