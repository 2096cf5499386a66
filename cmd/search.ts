// `musicfs search QUERY`: query the catalog (syntax: docs/query-language.md).
import * as fs from "node:fs";
import type { CAC } from "cac";
import { EXIT_FAILURE, EXIT_USAGE, table, UsageError } from "../internal/cli/index.ts";
import { defaultCatalogPath, openCatalog } from "../internal/catalog/index.ts";
import { caretLines, DEFAULT_LIMIT, MAX_LIMIT, QueryError, search, SORT_KEYS, type SearchResult, type SortKey } from "../internal/search/index.ts";

interface SearchCliOptions {
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
    .option("--limit <n>", `Hits to show (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT})`)
    .option("--offset <n>", "Hits to skip (paging)")
    .option("--sort <key>", `Order: ${SORT_KEYS.join(", ")} (default relevance)`)
    .option("--json", "Print one JSON object: query, total, tookMs, ranked, hits[]")
    .example("musicfs search bjork")
    .example("musicfs search 'artist:metallica year:1980..1989 -live'")
    .example("musicfs search --limit 20 -- '-genre:rock format:flac'   (options first; a leading '-' needs '--')")
    .action((words: string[], opts: SearchCliOptions) => {
      // Words after `--` (how a query starting with "-" gets past the option parser) belong to the query.
      const query = [...words, ...(opts["--"] ?? [])].map(String).join(" ");
      if (query.trim() === "") throw new UsageError("search needs a query (use '*' to list everything)");
      const limit = intOption("limit", opts.limit, DEFAULT_LIMIT, MAX_LIMIT);
      const offset = intOption("offset", opts.offset, 0, Number.MAX_SAFE_INTEGER);
      const sort = (opts.sort ?? "relevance") as SortKey;
      if (!SORT_KEYS.includes(sort)) throw new UsageError(`--sort must be one of ${SORT_KEYS.join(", ")}, got "${opts.sort}"`);
      const dbPath = opts.db ?? defaultCatalogPath();
      if (!fs.existsSync(dbPath)) {
        process.stderr.write(`musicfs search: no catalog at ${dbPath}; run \`musicfs scan FOLDER\` first (or pass --db)\n`);
        process.exitCode = EXIT_FAILURE;
        return;
      }
      let db: ReturnType<typeof openCatalog>;
      try {
        db = openCatalog(dbPath);
      } catch (e) {
        process.stderr.write(`musicfs search: cannot open catalog ${dbPath}: ${(e as Error).message}\n`);
        process.exitCode = EXIT_FAILURE;
        return;
      }
      let result: SearchResult;
      try {
        result = search(db, query, { limit, offset, sort });
      } catch (e) {
        if (e instanceof QueryError) {
          const caret = caretLines(query, e.position)
            .split("\n")
            .map((l) => "  " + l)
            .join("\n");
          process.stderr.write(`musicfs search: ${e.message} (at position ${e.position})\n${caret}\n`);
          process.exitCode = EXIT_USAGE;
          return;
        }
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

/** Tag text is untrusted: control characters could move the cursor or recolour the terminal. */
function cell(v: string | number | null | undefined, max = 40): string {
  if (v === null || v === undefined) return "";
  const s = String(v).replace(/[\x00-\x1f\x7f-\x9f]/g, "?");
  const chars = [...s];
  return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : s;
}

function printTable(r: SearchResult, offset: number): void {
  if (r.hits.length === 0) {
    process.stdout.write(`no matches${r.total > 0 ? ` on this page (${r.total} in total)` : ""} (${r.tookMs.toFixed(1)} ms)\n`);
    return;
  }
  const rows = r.hits.map((h, i) => [String(offset + i + 1), cell(h.artist ?? h.albumArtist), cell(h.album), h.year === null ? "" : String(h.year), h.trackNo === null ? "" : String(h.trackNo), cell(h.title ?? h.path.split("/").pop()), h.format]);
  const out = [table(["#", "artist", "album", "year", "track", "title", "format"], rows)];
  out.push("", `${offset + 1}-${offset + r.hits.length} of ${r.total}${r.ranked ? ", by relevance" : ""} (${r.tookMs.toFixed(1)} ms)`);
  process.stdout.write(out.join("\n") + "\n");
}
