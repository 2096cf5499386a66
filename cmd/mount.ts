// `musicfs mount MOUNTPOINT`: the catalog as a tag-organised, read-only FUSE tree, in the foreground
// until SIGINT/SIGTERM (then a clean unmount).
import type { CAC } from "cac";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defaultCatalogPath, openCatalog } from "../internal/catalog/db.ts";
import { AccessLog, type OpenedEvent, type ReadsEvent } from "../internal/mountfs/access-log.ts";
import { EventBus, publishRouterEvent, startWebhooks } from "../internal/events/index.ts";
import type { Federation } from "../internal/mountfs/federation.ts";
import { isCacheHitsReport } from "../internal/cas/hit-batch.ts";
import { Locations } from "../internal/mountfs/locations.ts";
import { Prefetcher } from "../internal/mountfs/prefetch.ts";
import { folderPath, LibraryWatcher, type WatchedSource } from "../internal/mountfs/library-watch.ts";
import { LocalOrigin } from "../internal/origins/local.ts";
import { watchOrigin } from "../internal/origins/watch.ts";
import type { MusicFsConfig } from "../internal/config/index.ts";
import type { CoverRequest } from "../internal/mountfs/cover-files.ts";
import type { CoverService } from "../internal/mountfs/covers.ts";
import { parseQuery, QueryError } from "../internal/search/index.ts";
import { UsageError } from "../internal/cli/errors.ts";
import { loadConfigOption } from "../internal/cli/config.ts";
import { runtimePath, startFuse, unmountOnSignals, type FuseMount } from "../internal/fuse/index.ts";
import { sdNotify } from "../internal/mountfs/sd-notify.ts";
import { DEFAULT_LISTEN, isLoopback, parseListen } from "../internal/rpc/listen.ts";
import type { OriginsBackend, PrefetchBackend, RunningServer } from "../internal/rpc/index.ts";
import type { MusicFsOptions } from "../internal/mountfs/music-fs.ts";
import { compileTemplate, DEFAULT_TEMPLATE, TemplateError } from "../internal/vfs/index.ts";

export function register(cli: CAC): void {
  cli
    .command("mount [...paths]", "Mount the music library as a read-only tree by tags, with hidden search folders (/.search/<query>/). `mount LIBRARY MOUNTPOINT` scans LIBRARY first; `mount MOUNTPOINT` uses the catalog as it is")
    .option("--db <path>", `Catalog database (default ${defaultCatalogPath()})`)
    .option("--library <dir>", "Scan this folder into the catalog before mounting (repeatable)")
    .option("--config <file>", "Origins (local, NFS, SMB, S3, SFTP), chunk cache and health settings from this TOML config; tracks on other origins are read through the router and the cache")
    .option("--scan", "With --config: scan every origin into the catalog before mounting")
    .option("--template <tpl>", `Path template (default "${DEFAULT_TEMPLATE}")`)
    .option("--workers <n>", "FUSE request threads (default: number of cores)")
    .option("--search-limit <n>", "Most entries a search folder lists (default 1000)")
    .option("--no-watch", "Do not follow changes: by default the library folders (inotify) and the config's origins (inotify on local disks, a listing every [watch] poll_interval_s elsewhere) are rescanned into the catalog when files appear, change or vanish")
    .option("--serve [addr]", "Also serve the search API in this process (default 127.0.0.1:50051; unix:PATH for a socket)")
    .option("--json", "Print the ready line as JSON")
    .example("musicfs mount ~/Music /mnt/music")
    .example("musicfs mount --serve unix:/run/musicfs.sock /mnt/music")
    .example("musicfs mount --config /etc/musicfs/config.toml --scan /mnt/music")
    .example("ls '/mnt/music/.search/artist:björk year:1990..1999'")
    .action(async (paths: string[], opts: Record<string, unknown>) => {
      const config = opts.config === undefined ? null : loadConfigOption(String(opts.config), "mount");
      for (const c of config?.collections ?? []) {
        try {
          parseQuery(c.query);
        } catch (e) {
          if (e instanceof QueryError) throw new UsageError(`collection ${JSON.stringify(c.name)}: ${e.message}`);
          throw e;
        }
      }
      if (opts.scan && !config) throw new UsageError("--scan needs --config (or give the folder: musicfs mount LIBRARY MOUNTPOINT)");
      if (paths.length === 0 && config?.mountPoint) paths = [config.mountPoint];
      if (paths.length < 1 || paths.length > 2) throw new UsageError("usage: musicfs mount [LIBRARY] MOUNTPOINT (or mount_point in --config)");
      const mountpoint = paths[paths.length - 1];
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
      if (!isDirectoryOrStaleMount(mountpoint)) throw new UsageError(`${mountpoint}: not a directory`);
      const libraries = ([] as unknown[]).concat(opts.library ?? []).map(String);
      if (paths.length === 2) libraries.unshift(paths[0]);
      for (const lib of libraries) if (!fs.existsSync(lib)) throw new UsageError(`${lib}: no such folder`);

      const catalog = openCatalog(db);
      try {
        // The tag reader loads only when there is a library to scan: a catalog-only mount starts faster.
        const scanLibrary = libraries.length ? (await import("../internal/catalog/scan.ts")).scanLibrary : null;
        for (const lib of libraries) {
          const summary = await scanLibrary!(catalog, [lib]);
          process.stderr.write(`scanned ${lib}: ${summary.scanned} files (${summary.added} added, ${summary.updated} updated, ${summary.removed} removed, ${summary.failed} untagged)\n`);
        }
        if (config && opts.scan) {
          const { scanConfiguredOrigins } = await import("../internal/catalog/scan-config.ts");
          for (const r of await scanConfiguredOrigins(catalog, config, { warn: (m) => process.stderr.write(`musicfs mount: ${m}\n`) })) {
            const sm = r.summary;
            process.stderr.write(`scanned origin ${r.origin}: ${sm.scanned} files (${sm.added} added, ${sm.updated} updated, ${sm.removed} removed, ${sm.failed} untagged${sm.errors.length ? `, ${sm.errors.length} errors: ${sm.errors[0].message}` : ""})\n`);
          }
        }
        if (!catalog.query("SELECT 1 FROM tracks LIMIT 1").get()) process.stderr.write(`musicfs mount: the catalog ${db} has no tracks; run 'musicfs scan DIR' or pass --library DIR\n`);
      } finally {
        catalog.close();
      }

      const abs = path.resolve(mountpoint);
      // Origins and cache live on this thread; the workers ask it for bytes they cannot read themselves.
      // Origins (S3, SFTP clients) and the RPC stack load only when asked for: a plain mount starts faster.
      // Events: SubscribeEvents (with --serve) and the config's webhooks; a bus costs nothing unheard.
      const bus = new EventBus();
      const webhooks = config?.webhooks.length ? startWebhooks(bus, config.webhooks, (line) => process.stderr.write(`musicfs mount: ${line}\n`)) : [];
      const fed: Federation | null = config
        ? await (await import("../internal/mountfs/federation.ts")).startFederation(config, { log: (line) => process.stderr.write(`musicfs mount: ${line}\n`), onEvent: (e) => publishRouterEvent(bus, e) })
        : null;
      // Bumped when the catalog changes (MusicFsOptions.catalogClock): every worker looks at once.
      const catalogClock = new SharedArrayBuffer(4);
      const fsOptions: MusicFsOptions = { db: path.resolve(db), template, mountpoint: abs, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, searchLimit, origins: fed?.origins, collections: config?.collections, chunkStoreDir: fed?.store?.dir, catalogClock };
      const started = performance.now();
      const logDb = openCatalog(db);
      const trackRow = logDb.query<{ origin: string; path: string }, [number]>("SELECT origin, path FROM tracks WHERE id = ?");
      const accessLog = new AccessLog(logDb);
      // Remote tracks: the album's next track, and those learned to follow this one, are read into the cache while it plays.
      // [prefetch] enabled = false turns it off (the predecessor's PrefetchConfig.enabled).
      const prefetchOn = (config?.raw.prefetch as { enabled?: unknown } | undefined)?.enabled !== false;
      const prefetch = fed && prefetchOn ? new Prefetcher(logDb, new Locations(fed.origins), fed.reader) : null;
      // Album covers are made here, off the FUSE workers' loops, and kept (covers.ts).
      // Loaded on the first cover asked for: image code costs start-up time the mount does not need.
      let covers: Promise<CoverService> | null = null;
      const coverService = () =>
        (covers ??= import("../internal/mountfs/covers.ts").then(
          (m) => new m.CoverService(fed ? (ref, offset, size) => fed.onCall({ op: "read", ref, offset, size }) as Promise<Uint8Array> : null, (line) => process.stderr.write(`musicfs mount: ${line}\n`), fed?.store ?? null),
        ));
      const m = await startFuse({
        onCall: (req) => {
          if ((req as CoverRequest)?.op === "cover") return coverService().then((c) => c.get(req as CoverRequest));
          if ((req as { op?: string })?.op === "prefetch-status") {
            return Promise.resolve(prefetch ? prefetch.statusText() : "MusicFS Prefetch Status\nengine: disabled (prefetch works for remote origins: mount --config)\n");
          }
          // Chunk-cache hits the workers served themselves (chunkStoreDir): stats and LRU order.
          if (isCacheHitsReport(req)) {
            fed?.reader.noteHits(req.hexes, req.bytes);
            return Promise.resolve(null);
          }
          if ((req as ReadsEvent)?.op === "reads") {
            accessLog.recordReads(req as ReadsEvent);
            return Promise.resolve(null);
          }
          if ((req as OpenedEvent)?.op === "opened") {
            const opened = req as OpenedEvent;
            accessLog.record(opened);
            prefetch?.onOpened(opened.trackId);
            if (bus.subscribers > 0 || webhooks.length > 0) {
              const t = trackRow.get(opened.trackId);
              bus.publish({ eventType: "file_accessed", fileId: opened.trackId, originId: t?.origin, path: t?.path, timestampMs: opened.at });
            }
            return Promise.resolve(null);
          }
          if (fed) return fed.onCall(req);
          return Promise.reject(Object.assign(new Error("no origins configured"), { code: "EIO" }));
        },
        mountpoint: abs,
        fsModule: runtimePath("internal/mountfs/music-fs.ts"),
        fsOptions,
        workers,
        onStaleCleared: (mp) => process.stderr.write(`musicfs mount: cleared a stale mount at ${mp}\n`),
      });
      const ms = performance.now() - started;
      const api = opts.serve === undefined ? null : await startApi(opts.serve === true ? DEFAULT_LISTEN : String(opts.serve), db, m, bus, fed && config ? (await import("../internal/rpc/origins-backend.ts")).originsBackend(config, fed.router, logDb, fed.reader) : undefined, prefetch);
      let stopping: Promise<void> | null = null;
      const stopApi = () =>
        (stopping ??= (async () => {
          sdNotify("STOPPING=1");
          await api?.close();
        })());
      // Unmount on SIGINT/SIGTERM/SIGHUP; the API stops first so no call races the unmount.
      let signalled: NodeJS.Signals | null = null;
      for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
        process.once(sig, () => {
          signalled = sig;
          void stopApi();
        });
      // Unmount on a signal, then fall through to the cleanup below (origins and cache close after
      // the last read), then exit with 128 + the signal's number.
      unmountOnSignals(m, undefined, false);
      const ready = { event: "mounted", mountpoint: m.mountpoint, method: m.method, db, ms: Math.round(ms), api: api?.address ?? null };
      if (opts.json) process.stdout.write(JSON.stringify(ready) + "\n");
      else process.stdout.write(`musicfs: mounted ${db} at ${m.mountpoint} in ${ms.toFixed(0)} ms (${m.method})${api ? `; API on ${api.address}` : ""}; Ctrl-C unmounts\n`);
      sdNotify(`READY=1\nSTATUS=mounted at ${m.mountpoint}`);
      const watching = opts.watch !== false && (config?.watch.enabled ?? true) ? startLibraryWatch(db, libraries, config, fed, bus, () => Atomics.add(new Int32Array(catalogClock), 0, 1)) : null;
      await m.closed;
      await watching?.close();
      await stopApi();
      await fed?.close();
      accessLog.close();
      await Promise.race([Promise.all(webhooks.map((w) => w.flush())), Bun.sleep(2000)]);
      const sig = signalled as NodeJS.Signals | null;
      process.exit(sig ? 128 + (os.constants.signals[sig] ?? 0) : 0);
    });
}


/**
 * Follows the library while mounted (FR-10): the folders given to mount and the config's enabled
 * origins are watched, and a source whose files changed is rescanned into the catalog.
 */
function startLibraryWatch(db: string, libraries: string[], config: MusicFsConfig | null, fed: Federation | null, bus: EventBus, catalogChanged: () => void): LibraryWatcher | null {
  const log = (line: string) => process.stderr.write(`musicfs mount: ${line}\n`);
  const debounceMs = config?.watch.debounceMs ?? 200;
  const intervalMs = config?.watch.pollIntervalMs ?? 300_000;
  const sources: WatchedSource[] = libraries.map((lib) => {
    const origin = new LocalOrigin({ id: "local", root: path.resolve(lib) });
    return {
      name: lib,
      originId: "local",
      catalogPath: folderPath(lib),
      watch: (onChanges, onError) => watchOrigin(origin, "/", onChanges, { debounceMs, intervalMs, onError }),
      rescan: async (catalog) => (await import("../internal/catalog/scan.ts")).scanLibrary(catalog, [lib], { keepAllIfEmpty: true }),
    };
  });
  for (const c of config?.origins ?? []) {
    const origin = fed?.router.get(c.id);
    if (!c.enabled || !origin || !config) continue;
    const onDisk = c.type === "local" || c.type === "nfs" || c.type === "smb";
    sources.push({
      name: `origin ${c.id}`,
      originId: c.id,
      catalogPath: onDisk ? folderPath(c.path) : (p) => p,
      watch: (onChanges, onError) => watchOrigin(origin, "/", onChanges, { debounceMs, intervalMs, onError }),
      rescan: async (catalog) => (await import("../internal/catalog/scan-config.ts")).scanConfiguredOrigin(catalog, config, c.id, { origin, warn: log, keepAllIfEmpty: true }),
    });
  }
  if (sources.length === 0) return null;
  const kinds = { created: "file_added", modified: "file_modified", deleted: "file_removed" } as const;
  return new LibraryWatcher(db, sources, {
    log,
    onRescanned: (_s, summary) => {
      if (summary && summary.added + summary.updated + summary.removed + summary.moved > 0) catalogChanged();
    },
    onChanges: (s, changes) => {
      for (const c of changes) bus.publish({ eventType: kinds[c.kind], originId: s.originId, path: s.catalogPath(c.path), timestampMs: Date.now(), metadata: {} });
    },
  }).start();
}

/** The search API of `serve`, in the mount process (FR-17.1). Loopback or a Unix socket only: no token here. */
async function startApi(listen: string, db: string, m: FuseMount, events: EventBus, origins?: OriginsBackend, prefetcher?: Prefetcher | null): Promise<RunningServer> {
  let addr;
  try {
    addr = parseListen(listen);
  } catch (e) {
    throw new UsageError(`--serve: ${(e as Error).message}`);
  }
  if (!isLoopback(addr)) throw new UsageError(`--serve ${listen}: mount serves the API on loopback or a Unix socket only; use 'musicfs serve' with a token to expose it`);
  const { catalogBackend, catalogMetadata, createMetrics, registerMusicfsServices, resolveTrackPath, startServer } = await import("../internal/rpc/index.ts");
  const { OP_BUCKETS } = await import("../internal/fuse/op-stats.ts");
  const readonly = openCatalog(db, { readonly: true });
  const backend = catalogBackend(readonly);
  // GET /metrics: RPC calls, the catalog, FUSE operations of this mount, origins and cache.
  const metrics = createMetrics({ catalog: readonly, origins, fuse: { buckets: OP_BUCKETS, ops: () => m.opStats() } });
  return startServer({ listen, metrics, services: (router) => registerMusicfsServices(router, { backend, origins, events, metadata: catalogMetadata(readonly, db, events), prefetch: prefetcher ? prefetchBackend(prefetcher, (p) => resolveTrackPath(readonly, p), m.mountpoint) : undefined }), log: (line) => process.stderr.write(`musicfs mount: api: ${line}\n`) });
}

/** The Prefetch RPC over the mount's prefetcher: paths in the mount (absolute or not), on an origin, or "#<id>". */
function prefetchBackend(p: Prefetcher, resolve: (path: string) => number | null, mountpoint: string): PrefetchBackend {
  return {
    async *run(paths, signal) {
      const inMount = (x: string) => (x.startsWith(mountpoint + "/") ? x.slice(mountpoint.length) : x);
      const ids = paths.map((x) => resolve(inMount(x)));
      const unknown = ids.indexOf(null);
      // Refuse before fetching anything: a typo should not cost a download first.
      if (unknown >= 0) return yield { path: paths[unknown], completed: 0, total: paths.length, bytes: 0, error: "no such track" };
      for await (const progress of p.prefetchTracks(ids, paths)) {
        yield progress;
        if (signal.aborted) return;
      }
    },
  };
}

/** A stale mount (its daemon was killed) answers ENOTCONN; startFuse clears it. */
function isDirectoryOrStaleMount(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOTCONN";
  }
}

function positiveInt(v: unknown, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got "${v}"`);
  return n;
}
