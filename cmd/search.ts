// `musicfs search QUERY`: query the catalog (syntax: docs/query-language.md), straight from the
// database file or through a running `musicfs serve` (--server).
import * as fs from "node:fs";
import type { CAC } from "cac";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { apiTransport } from "../internal/cli/api-client.ts";
import { rawOption } from "../internal/cli/raw-options.ts";
import { openCatalogOrReport } from "../internal/cli/open-catalog.ts";
import { EXIT_FAILURE, EXIT_USAGE, table, UsageError } from "../internal/cli/index.ts";
import { defaultCatalogPath } from "../internal/catalog/index.ts";
import { caretLines, DEFAULT_LIMIT, MAX_LIMIT, QueryError, search, SORT_KEYS, type SortKey } from "../internal/search/index.ts";
import { MetadataService, MusicFS, type MetadataResponse } from "../proto/gen/musicfs/v1/musicfs_pb.ts";

interface SearchCliOptions {
  server?: string;
  token?: unknown;
  db?: string;
  limit?: unknown;
  offset?: unknown;
  sort?: unknown;
  json?: boolean;
  "--"?: string[];
}

function intOption(name: string, v: unknown, fallback: number, max: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new UsageError(`--${name} must be an integer from 0 to ${max}, got "${v}"`);
  return n;
}

export function register(cli: CAC): void {
  cli
    .command("search [...query]", "Search the catalog (words, field:value, ranges, OR/NOT, prefix*, fuzzy~1)")
    .option("--db <path>", "Catalog database (default: $XDG_DATA_HOME/musicfs/catalog.db)")
    .option("--server <url>", "Ask a running `musicfs serve` instead (http://HOST:PORT or unix:PATH; Connect protocol)")
    .option("--token <token>", "Bearer token for --server (prefer the MUSICFS_TOKEN variable: flags show in ps)")
    .option("--limit <n>", `Hits to show (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT})`)
    .option("--offset <n>", "Hits to skip (paging)")
    .option("--sort <key>", `Order: ${SORT_KEYS.join(", ")} (default relevance)`)
    .option("--json", "Print one JSON object: query, total, tookMs, ranked, hits[]")
    .example("musicfs search bjork")
    .example("musicfs search 'artist:metallica year:1980..1989 -live'")
    .example("musicfs search --limit 20 -- '-genre:rock format:flac'   (options first; a leading '-' needs '--')")
    .example("MUSICFS_TOKEN=... musicfs search --server http://nas:50051 'artist:björk'")
    .action(async (words: string[], opts: SearchCliOptions) => {
      // Words after `--` (how a query starting with "-" gets past the option parser) belong to the query.
      const query = [...words, ...(opts["--"] ?? [])].map(String).join(" ");
      if (query.trim() === "") throw new UsageError("search needs a query (use '*' to list everything)");
      const limit = intOption("limit", opts.limit, DEFAULT_LIMIT, MAX_LIMIT);
      const offset = intOption("offset", opts.offset, 0, Number.MAX_SAFE_INTEGER);
      const sort = (opts.sort ?? "relevance") as SortKey;
      if (!SORT_KEYS.includes(sort)) throw new UsageError(`--sort must be one of ${SORT_KEYS.join(", ")}, got "${opts.sort}"`);
      if (opts.server !== undefined) {
        if (opts.db !== undefined) throw new UsageError("--db and --server exclude each other: the server searches its own catalog");
        // The API ranks by relevance only; sorting one page here would not sort the result.
        if (sort !== "relevance") throw new UsageError("--sort is not available with --server (the search API orders by relevance)");
        // cac turns numeric-looking values into numbers ("00123" → 123), so read the token as typed.
        const token = rawOption(cli.rawArgs, "--token") ?? (process.env.MUSICFS_TOKEN || undefined);
        await searchServer(String(opts.server), token, query, { limit, offset, json: Boolean(opts.json) });
        return;
      }
      const dbPath = opts.db ?? defaultCatalogPath();
      if (!fs.existsSync(dbPath)) {
        process.stderr.write(`musicfs search: no catalog at ${dbPath}; run \`musicfs scan FOLDER\` first (or pass --db)\n`);
        process.exitCode = EXIT_FAILURE;
        return;
      }
      const db = openCatalogOrReport("search", dbPath);
      if (!db) return;
      let result: Shown;
      try {
        result = search(db, query, { limit, offset, sort });
      } catch (e) {
        if (e instanceof QueryError) return queryError(query, e.message, e.position);
        throw e;
      } finally {
        db.close();
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify({ schema: 1, query, total: result.total, tookMs: Number(result.tookMs.toFixed(3)), ranked: result.ranked, offset, limit, hits: result.hits }, null, 2) + "\n");
        return;
      }
      printTable(result, offset);
    });
}

/** What the table needs of a hit (a catalog Track has all of it; a server's hit most of it). */
interface ShownHit {
  id: number;
  path: string;
  title: string | null;
  artist: string | null;
  album: string | null;
  albumArtist: string | null;
  year: number | null;
  trackNo: number | null;
  format: string;
}

interface Shown {
  hits: ShownHit[];
  total: number;
  tookMs: number;
  ranked: boolean;
}

function queryError(query: string, message: string, position: number): void {
  const caret = caretLines(query, position)
    .split("\n")
    .map((l) => "  " + l)
    .join("\n");
  process.stderr.write(`musicfs search: ${message} (at position ${position})\n${caret}\n`);
  process.exitCode = EXIT_USAGE;
}

/** A hit as the server reports it, filled in from GetMetadata, in the local path's JSON shape. */
interface RemoteHit extends ShownHit {
  albumArtist: string | null;
  genre: string | null;
  discNo: number | null;
  durationMs: number | null;
  bitrate: number | null;
  score: number | null;
}

/** GetMetadata calls in flight at once: a page of 100 hits costs ~100 small calls on one connection. */
const METADATA_CONCURRENCY = 16;
/** The server gives a search 5 s; allow for the trip. */
const CALL_TIMEOUT_MS = 10_000;

/**
 * Search through the Connect protocol (HTTP/1.1, so any proxy passes it). Search answers with
 * id, path, artist, album, title and score; year, track number and format for the table come
 * from MetadataService.GetMetadata per hit (skipped, with the format taken from the file name,
 * when the server does not offer it).
 */
async function searchServer(server: string, token: string | undefined, query: string, o: { limit: number; offset: number; json: boolean }): Promise<void> {
  const transport = apiTransport(server, token);
  const musicfs = createClient(MusicFS, transport);
  const metadata = createClient(MetadataService, transport);
  const started = performance.now();
  let hits: RemoteHit[];
  let total: number;
  let tookMs: number;
  try {
    const res = await musicfs.search({ query, limit: o.limit, offset: o.offset }, { timeoutMs: CALL_TIMEOUT_MS });
    total = Number(res.totalMatches);
    tookMs = res.queryTimeMs;
    hits = res.results.map((r) => ({
      id: Number(r.fileId),
      path: r.virtualPath,
      title: r.title ?? null,
      artist: r.artist ?? null,
      album: r.album ?? null,
      albumArtist: null,
      genre: null,
      year: null,
      trackNo: null,
      discNo: null,
      format: extension(r.virtualPath),
      durationMs: null,
      bitrate: null,
      score: r.score > 0 ? r.score : null,
    }));
    await fillFromMetadata(hits, (path) => metadata.getMetadata({ virtualPath: path }, { timeoutMs: CALL_TIMEOUT_MS }));
  } catch (e) {
    const err = ConnectError.from(e);
    // The server puts the position into the message: "query syntax error at position N: ...".
    const syntax = /^query syntax error at position (\d+): (.*)$/s.exec(err.rawMessage);
    if (err.code === Code.InvalidArgument && syntax) return queryError(query, syntax[2], Number(syntax[1]));
    process.stderr.write(`musicfs search: ${server}: ${describeRpcError(err)}\n`);
    process.exitCode = err.code === Code.InvalidArgument ? EXIT_USAGE : EXIT_FAILURE;
    return;
  }
  const roundTripMs = performance.now() - started;
  const ranked = hits.some((h) => h.score !== null);
  if (o.json) {
    const out = { schema: 1, query, total, tookMs, ranked, offset: o.offset, limit: o.limit, server, roundTripMs: Number(roundTripMs.toFixed(3)), hits };
    process.stdout.write(JSON.stringify(out, null, 2) + "\n");
    return;
  }
  printTable({ hits, total, tookMs, ranked }, o.offset, ` on the server, ${roundTripMs.toFixed(1)} ms round trip`);
}

async function fillFromMetadata(hits: RemoteHit[], get: (path: string) => Promise<MetadataResponse>): Promise<void> {
  let next = 0;
  let offered = true;
  const worker = async () => {
    while (offered && next < hits.length) {
      const h = hits[next++];
      let m: MetadataResponse;
      try {
        m = await get(h.path);
      } catch (e) {
        const code = ConnectError.from(e).code;
        // An older or partial server: show what Search gave. A hit gone since the search: the same.
        if (code === Code.Unimplemented) offered = false;
        else if (code !== Code.NotFound) throw e;
        continue;
      }
      h.albumArtist = m.albumArtist ?? null;
      h.genre = m.genre ?? null;
      h.year = m.year ?? null;
      h.trackNo = m.track ?? null;
      h.discNo = m.disc ?? null;
      if (m.format) h.format = m.format;
      h.durationMs = m.durationMs === undefined ? null : Number(m.durationMs);
      h.bitrate = m.bitrate === undefined ? null : Number(m.bitrate);
    }
  };
  await Promise.all(Array.from({ length: Math.min(METADATA_CONCURRENCY, hits.length) }, worker));
}

function extension(p: string): string {
  const name = p.slice(p.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

function describeRpcError(e: ConnectError): string {
  switch (e.code) {
    case Code.Unauthenticated:
      return `${e.rawMessage} (give the server's token with MUSICFS_TOKEN or --token)`;
    case Code.Unavailable:
      return `cannot reach the server or it has no catalog: ${e.rawMessage}`;
    case Code.DeadlineExceeded:
      return `no answer in time: ${e.rawMessage}`;
    default:
      return `${Code[e.code] ?? e.code}: ${e.rawMessage}`;
  }
}

/** Tag text is untrusted: control characters could move the cursor or recolour the terminal. */
function cell(v: string | number | null | undefined, max = 40): string {
  if (v === null || v === undefined) return "";
  const s = String(v).replace(/[\x00-\x1f\x7f-\x9f]/g, "?");
  const chars = [...s];
  return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : s;
}

function printTable(r: Shown, offset: number, where = ""): void {
  if (r.hits.length === 0) {
    process.stdout.write(`no matches${r.total > 0 ? ` on this page (${r.total} in total)` : ""} (${r.tookMs.toFixed(1)} ms${where})\n`);
    return;
  }
  const rows = r.hits.map((h, i) => [String(offset + i + 1), cell(h.artist ?? h.albumArtist), cell(h.album), h.year === null ? "" : String(h.year), h.trackNo === null ? "" : String(h.trackNo), cell(h.title ?? h.path.split("/").pop()), h.format]);
  const out = [table(["#", "artist", "album", "year", "track", "title", "format"], rows)];
  out.push("", `${offset + 1}-${offset + r.hits.length} of ${r.total}${r.ranked ? ", by relevance" : ""} (${r.tookMs.toFixed(1)} ms${where})`);
  process.stdout.write(out.join("\n") + "\n");
}
