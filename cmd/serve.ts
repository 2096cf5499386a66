// `musicfs serve`: the search and control API on one port (gRPC, gRPC-Web, Connect), wiring only.
import type { Database } from "bun:sqlite";
import type { CAC } from "cac";
import * as fs from "node:fs";
import * as path from "node:path";
import { openCatalog } from "../internal/catalog/index.ts";
import { EXIT_FAILURE, UsageError } from "../internal/cli/index.ts";
import { registerSyncService } from "../internal/sync/index.ts";
import { rawOption, rawOptions } from "../internal/cli/raw-options.ts";
import { catalogBackend, catalogMetadata, createMetrics, DEFAULT_LISTEN, isLoopback, originsBackend, parseListen, registerMusicfsServices, startServer, type OriginsBackend } from "../internal/rpc/index.ts";
import { CachedReader } from "../internal/cas/cached-reader.ts";
import { ChunkStore } from "../internal/cas/store.ts";
import { loadConfigOption } from "../internal/cli/config.ts";
import { EventBus, publishRouterEvent, startWebhooks } from "../internal/events/index.ts";
import type { MusicFsConfig } from "../internal/config/index.ts";
import { createRouter, type TrackRef } from "../internal/origins/index.ts";

const PROTOCOLS = ["grpc", "grpc-web", "connect"];

export function register(cli: CAC): void {
  cli
    .command("serve", "Serve the search and control API (gRPC, gRPC-Web and Connect on one port)")
    .option("--listen <addr>", `HOST:PORT, [IPv6]:PORT or unix:PATH (default ${DEFAULT_LISTEN})`)
    .option("--db <path>", "Catalog database to search (without it Search answers UNAVAILABLE)")
    .option("--token <token>", "Require `authorization: Bearer <token>` (needed off loopback; prefer the MUSICFS_TOKEN variable, flags show in ps)")
    .option("--export <name=path>", "Offer a folder for `musicfs sync` as musicfs://HOST:PORT/NAME (repeatable)")
    .option("--json", "Print the ready line as one JSON object")
    .option("--access-log", "Log one line per call to stderr")
    .option("--config <file>", "Origins and chunk cache from this TOML config: ListOrigins, GetOriginHealth, GetCacheStats and ClearCache answer from them (health checked every check_interval_secs)")
    .example("musicfs serve --db ~/.local/share/musicfs/catalog.db")
    .example("MUSICFS_TOKEN=$(openssl rand -hex 16) musicfs serve --listen 0.0.0.0:50051 --db catalog.db")
    .example("musicfs serve --listen unix:/run/musicfs.sock")
    .example("musicfs serve --export music=/srv/music   # then: musicfs sync ~/Music musicfs://HOST:50051/music")
    .action(async (opts: Record<string, unknown>) => {
      const listen = opts.listen === undefined ? DEFAULT_LISTEN : String(opts.listen);
      let addr;
      try {
        addr = parseListen(listen);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      // cac turns numeric-looking values into numbers ("00123" → 123), so read the token as typed.
      const token = rawOption(cli.rawArgs, "--token") ?? (process.env.MUSICFS_TOKEN || undefined);
      if (!isLoopback(addr) && !token) {
        throw new UsageError(`--listen ${listen} is reachable from other machines: set a token with MUSICFS_TOKEN or --token`);
      }
      const exports = parseExports(rawOptions(cli.rawArgs, "--export"));
      const dbPath = opts.db === undefined ? undefined : String(opts.db);
      const catalogDb = dbPath === undefined ? undefined : openCatalogReadonly(dbPath);
      const backend = catalogDb ? catalogBackend(catalogDb) : undefined;
      const log = (line: string) => process.stderr.write(`musicfs serve: ${line}\n`);
      const config = opts.config === undefined ? undefined : loadConfigOption(String(opts.config), "serve");
      // Events for SubscribeEvents and the config's webhooks (here: the origins' health and failovers).
      const events = new EventBus();
      if (config?.webhooks.length) startWebhooks(events, config.webhooks, log);
      const origins = config ? await startOrigins(config, dbPath, log, events) : undefined;

      let stopping = false;
      // GET /metrics (behind the token when there is one): RPC calls, the catalog, origins and cache.
      const metrics = createMetrics({ catalog: catalogDb, origins: origins?.backend });
      const server = await startServer({
        listen,
        token,
        metrics,
        log,
        accessLog: Boolean(opts.accessLog),
        // Sync moves chunk runs of up to 2 MiB (packed) per message; search requests are tiny.
        readMaxBytes: Object.keys(exports).length > 0 ? 8 << 20 : undefined,
        services: (router) => {
          registerMusicfsServices(router, {
            backend,
            // Shutdown over the API only for callers who proved who they are (token) or who can
            // reach the owner-only Unix socket; any local user can reach a loopback port.
            allowShutdown: addr.kind === "unix" || token !== undefined,
            onShutdown: () => void stop("Shutdown RPC"),
            origins: origins?.backend,
            events: config ? events : undefined,
            // Tag edits (the metadata overlay) go to the catalog file on a connection of their own.
            metadata: catalogDb && dbPath ? catalogMetadata(catalogDb, dbPath, events) : undefined,
          });
          if (Object.keys(exports).length > 0) registerSyncService(router, { exports, token });
        },
      }).catch((e: Error) => {
        // A busy port or an unwritable socket path is a runtime failure, not a usage mistake.
        if (e.message.startsWith("cannot listen")) {
          process.stderr.write(`musicfs serve: ${e.message}\n`);
          process.exit(EXIT_FAILURE);
        }
        throw new UsageError(e.message);
      });

      async function stop(why: string): Promise<void> {
        if (stopping) return;
        stopping = true;
        log(`${why}: draining and stopping`);
        await server.close();
        await origins?.close();
        log("stopped");
        process.exit(0);
      }
      process.on("SIGINT", () => (stopping ? process.exit(130) : void stop("SIGINT")));
      process.on("SIGTERM", () => void stop("SIGTERM"));

      const tracks = backend ? await backend.trackCount() : null;
      if (opts.json) {
        const ready = { event: "ready", address: server.address, protocols: PROTOCOLS, auth: token ? "token" : "none", catalog: dbPath ?? null, tracks, exports: Object.keys(exports), origins: origins ? origins.backend.list().length : null, pid: process.pid };
        process.stdout.write(JSON.stringify(ready) + "\n");
      } else {
        const catalog = dbPath ? `catalog ${dbPath} (${tracks} tracks)` : "no catalog (Search answers UNAVAILABLE; pass --db)";
        const names = Object.keys(exports);
        const sync = names.length > 0 ? `; sync exports: ${names.join(", ")}` : "";
        process.stdout.write(`musicfs serve: listening on ${server.address} (gRPC, gRPC-Web, Connect; auth ${token ? "bearer token" : "none, loopback only"}; ${catalog}${sync})\n`);
      }
      // The action returns; the listening socket keeps the process alive until a signal.
    });
}

/** ["music=/srv/music", ...] → { music: "/srv/music" } with absolute paths. */
function parseExports(specs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    const name = eq > 0 ? spec.slice(0, eq) : "";
    const dir = eq > 0 ? spec.slice(eq + 1) : "";
    // The name is one segment of musicfs://HOST:PORT/NAME, so no slashes or odd characters.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || dir === "") throw new UsageError(`--export ${spec}: expected NAME=PATH with NAME made of letters, digits, '.', '_' or '-'`);
    if (name in out) throw new UsageError(`--export ${name} given twice`);
    out[name] = path.resolve(dir);
  }
  return out;
}

/**
 * The router of the config's origins (one health check before answering, then periodic ones) and
 * its chunk cache, unless a mount holds that cache (one owner per cache directory): then the cache
 * methods say to ask the mount's own API.
 */
async function startOrigins(config: MusicFsConfig, dbPath: string | undefined, log: (line: string) => void, events: EventBus): Promise<{ backend: OriginsBackend; close(): Promise<void> }> {
  const router = createRouter(config, {
    warn: log,
    onEvent: (e) => {
      if (e.type === "origin_health_changed") log(`origin ${e.originId} is ${e.status}${e.error ? `: ${e.error}` : ""}`);
      publishRouterEvent(events, e);
    },
  });
  await router.checkHealth();
  router.start();
  let why: string | undefined;
  const store = ChunkStore.tryOpen({ dir: path.join(config.cacheDir, "cache"), maxBytes: config.cache.maxBytes }, (m) => (why = m));
  if (why) log(why.includes("in use") ? `${why}; GetCacheStats and ClearCache are answered by that mount's API (mount --serve)` : why);
  const reader = store ? new CachedReader<TrackRef>(router, store) : null;
  const db = dbPath ? openCatalog(dbPath, { readonly: true }) : null;
  return {
    backend: originsBackend(config, router, db, reader, why),
    async close() {
      await router.close();
      store?.close();
      db?.close();
    },
  };
}

/** Opens an existing catalog read-only (serve never writes it; a scanner may, thanks to WAL). */
function openCatalogReadonly(path: string): Database {
  if (!fs.existsSync(path)) throw new UsageError(`--db ${path}: no catalog there (create one by scanning a library first)`);
  let db;
  try {
    db = openCatalog(path, { readonly: true });
  } catch (e) {
    throw new UsageError(`--db ${path}: ${(e as Error).message}`);
  }
  return db;
}
