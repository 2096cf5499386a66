// What ListOrigins, GetOriginHealth, GetCacheStats and ClearCache answer from: the origin router
// and the chunk cache of the process (a mount with --serve has both; `serve --config` has its own
// router and, when no mount holds it, the cache directory). Plain values in, proto messages are
// built by the service.
import type { Database } from "bun:sqlite";
import type { CacheStats } from "../cas/cached-reader.ts";
import type { MusicFsConfig, OriginConfig } from "../config/index.ts";
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

export function originsBackend(config: MusicFsConfig, router: Router, db: Database | null, cache: CacheHandle | null, cacheUnavailable?: string): OriginsBackend {
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
        displayName: o.displayName,
        rootPath: byId.has(o.id) ? rootOf(byId.get(o.id)!) : "",
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
        return { id, health: r.status, message: r.error ?? `answered in ${Math.round(r.latencyMs)} ms`, lastCheckSecs };
      } catch (e) {
        return { id, health: "unhealthy", message: (e as Error).message, lastCheckSecs };
      } finally {
        clearTimeout(timer);
      }
    },
    cache,
    cacheUnavailable,
  };
}
