// What ListOrigins, GetOriginHealth, GetCacheStats and ClearCache answer from: the origin router
// and the chunk cache of the process (a mount with --serve has both; `serve --config` has its own
// router and, when no mount holds it, the cache directory). Plain values in, proto messages are
// built by the service.
import type { Database } from "bun:sqlite";
import type { CacheStats } from "../cas/cached-reader.ts";
import { type MusicFsConfig, type OriginConfig, resolveCredentials, scrub, Secret } from "../config/index.ts";
import type { Router } from "../origins/index.ts";

export type OriginHealth = "healthy" | "degraded" | "unhealthy" | "unknown";

export interface OriginListing {
  id: string;
  type: string;
  displayName: string;
  rootPath: string;
  health: OriginHealth;
  filesCount: number;
  totalSizeBytes: number;
}

export interface OriginProbe {
  id: string;
  health: OriginHealth;
  message?: string;
  /** Seconds since the previous scheduled check (0 if none ran). */
  lastCheckSecs: number;
}

/** The cache as the API needs it; a CachedReader fits. */
export interface CacheHandle {
  getCacheStats(): CacheStats;
  clearCache(): void;
}

export interface OriginsBackend {
  list(): OriginListing[];
  /** A fresh probe of one origin; null for an unknown id. */
  probe(id: string): Promise<OriginProbe | null>;
  /** null: no cache in this process (why: `cacheUnavailable`). */
  cache: CacheHandle | null;
  cacheUnavailable?: string;
}

/** Where an origin's files live, for people: never credentials. */
function rootOf(c: OriginConfig): string {
  switch (c.type) {
    case "s3":
      return `s3://${c.bucket}/${c.prefix}`;
    case "sftp":
      return `sftp://${c.host}:${c.port}${c.path.startsWith("/") ? "" : "/"}${c.path}`;
    default:
      return c.path;
  }
}

/**
 * The secrets of the config's origins (inline, environment or file), to take out of anything the
 * API returns. The origins already scrub their own errors; this is the last line, for text that
 * reaches a reply by another way (a display name, a message from a library).
 */
function secretsOf(config: MusicFsConfig): Secret[] {
  const out: Secret[] = [];
  for (const c of config.origins) {
    if (!("credentials" in c) || !c.credentials) continue;
    try {
      const k = resolveCredentials(c.credentials, `origins.${c.id}.credentials`);
      out.push(...[k.secretAccessKey, k.sessionToken, k.password, k.privateKey, k.passphrase].filter((s): s is Secret => s !== undefined));
      if (k.accessKeyId) out.push(new Secret(k.accessKeyId));
    } catch {
      /* unreadable credentials: the origin reports that itself, and there is nothing to hide */
    }
  }
  return out;
}

/** `scheme://user:password@host` (an SMB `remote`, a library's message) keeps the user only. */
const URL_PASSWORD = /((?:[a-z][a-z0-9+.-]*:)?\/\/[^\s/:@]*):[^\s/@]*@/gi;

/**
 * `cache`: the process's chunk cache, or null with the reason in `cacheUnavailable`. A CachedReader
 * whose store could not be opened reports a size cap of 0 (a real store's cap is at least 1 MB): that
 * counts as no cache, so GetCacheStats says so instead of answering zeros.
 */
export function originsBackend(config: MusicFsConfig, router: Router, db: Database | null, cache: CacheHandle | null, cacheUnavailable?: string): OriginsBackend {
  if (cache && cache.getCacheStats().maxBytes <= 0) {
    cacheUnavailable ??= `the chunk cache under ${config.cacheDir} could not be opened (the process's log says why)`;
    cache = null;
  }
  const secrets = secretsOf(config);
  const clean = (text: string): string => scrub(text.replace(URL_PASSWORD, "$1:[REDACTED]@"), secrets);
  const byId = new Map(config.origins.map((c) => [c.id, c]));
  const counts = (): Map<string, { n: number; bytes: number }> => {
    const out = new Map<string, { n: number; bytes: number }>();
    if (!db) return out;
    for (const r of db.query("SELECT origin, count(*) AS n, COALESCE(sum(size), 0) AS bytes FROM tracks GROUP BY origin").all() as { origin: string; n: number; bytes: number }[]) out.set(r.origin, r);
    return out;
  };
  return {
    list() {
      const c = counts();
      return router.origins().map((o) => ({
        id: o.id,
        type: o.type,
        displayName: clean(o.displayName),
        rootPath: byId.has(o.id) ? clean(rootOf(byId.get(o.id)!)) : "",
        health: o.status,
        filesCount: c.get(o.id)?.n ?? 0,
        totalSizeBytes: c.get(o.id)?.bytes ?? 0,
      }));
    },
    async probe(id) {
      const origin = router.get(id);
      if (!origin) return null;
      const before = router.origins().find((o) => o.id === id);
      const lastCheckSecs = before?.lastCheckMs ? Math.max(0, Math.round((Date.now() - before.lastCheckMs) / 1000)) : 0;
      const timeoutMs = config.health.timeoutMs;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const r = await Promise.race([
          origin.health(),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
        ]);
        return { id, health: r.status, message: clean(r.error ?? `answered in ${Math.round(r.latencyMs)} ms`), lastCheckSecs };
      } catch (e) {
        return { id, health: "unhealthy", message: clean((e as Error).message), lastCheckSecs };
      } finally {
        clearTimeout(timer);
      }
    },
    cache,
    cacheUnavailable: cacheUnavailable === undefined ? undefined : clean(cacheUnavailable),
  };
}
