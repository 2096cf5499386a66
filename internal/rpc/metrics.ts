// Prometheus metrics (NFR-10) for `GET /metrics` on the API port, with prom-client: RPC calls by
// method and code with a latency histogram, the catalog's size, each origin's health, the chunk
// cache's hits, misses and size, and (in a mount) FUSE operations by opcode with latencies.
// Gauges are read when scraped (collect callbacks), so nothing runs between scrapes.
import type { Database } from "bun:sqlite";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { OriginsBackend } from "./origins-backend.ts";

/** FUSE counters as a mount reports them: per opcode name, calls, errors and latency buckets. */
export interface FuseOpStats {
  /** Upper bounds of the latency buckets, seconds (without +Inf). */
  buckets: readonly number[];
  ops(): Iterable<{ op: string; count: number; errors: number; sumSeconds: number; bucketCounts: readonly number[] }>;
}

export interface MetricsSources {
  catalog?: Database;
  origins?: OriginsBackend;
  fuse?: FuseOpStats;
}

export interface Metrics {
  registry: Registry;
  interceptor: Interceptor;
}

const RPC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];
const HEALTH_VALUE: Record<string, number> = { healthy: 1, degraded: 0.5, unhealthy: 0, unknown: -1 };

export function createMetrics(sources: MetricsSources = {}): Metrics {
  const registry = new Registry();
  const calls = new Counter({ name: "musicfs_rpc_requests_total", help: "RPC calls by method and result code", labelNames: ["method", "code"], registers: [registry] });
  const latency = new Histogram({ name: "musicfs_rpc_duration_seconds", help: "RPC call duration by method", labelNames: ["method"], buckets: RPC_BUCKETS, registers: [registry] });
  const interceptor: Interceptor = (next) => async (req) => {
    const method = `${req.service.typeName}/${req.method.name}`;
    const t0 = performance.now();
    let code = "ok";
    try {
      return await next(req);
    } catch (e) {
      // Connect's spelling of the code: InvalidArgument → invalid_argument.
      code = (Code[ConnectError.from(e).code] ?? "unknown").replace(/([a-z])([A-Z])/g, "$1_$2");
      throw e;
    } finally {
      calls.inc({ method, code: code.toLowerCase() });
      latency.observe({ method }, (performance.now() - t0) / 1000);
    }
  };

  const { catalog, origins, fuse } = sources;
  if (catalog) {
    new Gauge({
      name: "musicfs_catalog_tracks",
      help: "Tracks in the catalog",
      registers: [registry],
      collect() {
        this.set((catalog.query("SELECT count(*) AS n FROM tracks").get() as { n: number }).n);
      },
    });
  }
  if (origins) {
    new Gauge({
      name: "musicfs_origin_health",
      help: "Origin health: 1 healthy, 0.5 degraded, 0 unhealthy, -1 not checked yet",
      labelNames: ["origin", "type"],
      registers: [registry],
      collect() {
        this.reset();
        for (const o of origins.list()) this.set({ origin: o.id, type: o.type }, HEALTH_VALUE[o.health] ?? -1);
      },
    });
    if (origins.cache) {
      const cache = origins.cache;
      const stat = (name: string, help: string, pick: (s: ReturnType<typeof cache.getCacheStats>) => number) =>
        new Gauge({ name, help, registers: [registry], collect() { this.set(pick(cache.getCacheStats())); } });
      // Gauges, not counters: ClearCache resets them, which a Prometheus counter must never do.
      stat("musicfs_cache_hits", "Chunk cache hits since start or the last ClearCache", (s) => s.hits);
      stat("musicfs_cache_misses", "Chunk cache misses since start or the last ClearCache", (s) => s.misses);
      stat("musicfs_cache_size_bytes", "Bytes in the chunk cache", (s) => s.sizeBytes);
      stat("musicfs_cache_limit_bytes", "Size cap of the chunk cache", (s) => s.maxBytes);
      stat("musicfs_cache_chunks", "Chunks in the chunk cache", (s) => s.chunks);
      stat("musicfs_cache_evictions", "Chunks evicted by the size cap", (s) => s.evictions);
    }
  }
  if (fuse) {
    // Read from the workers' shared counters at scrape time. `requests_total` is registered first,
    // so its collect() fills all four series from one reading; together they read as a Prometheus
    // histogram (`_bucket`, `_sum`, and the request count).
    let errors: Counter<"op">, sum: Gauge<"op">, bucket: Gauge<"op" | "le">;
    const count: Counter<"op"> = new Counter({
      name: "musicfs_fuse_requests_total",
      help: "FUSE requests answered, by operation",
      labelNames: ["op"],
      registers: [registry],
      collect() {
        count.reset();
        errors.reset();
        sum.reset();
        bucket.reset();
        for (const o of fuse.ops()) {
          count.inc({ op: o.op }, o.count);
          errors.inc({ op: o.op }, o.errors);
          sum.set({ op: o.op }, o.sumSeconds);
          let cum = 0;
          fuse.buckets.forEach((le, i) => {
            cum += o.bucketCounts[i];
            bucket.set({ op: o.op, le: String(le) }, cum);
          });
          bucket.set({ op: o.op, le: "+Inf" }, o.count);
        }
      },
    });
    errors = new Counter({ name: "musicfs_fuse_errors_total", help: "FUSE requests answered with an error, by operation", labelNames: ["op"], registers: [registry] });
    sum = new Gauge({ name: "musicfs_fuse_duration_seconds_sum", help: "Time spent answering FUSE requests, by operation", labelNames: ["op"], registers: [registry] });
    bucket = new Gauge({ name: "musicfs_fuse_duration_seconds_bucket", help: "FUSE requests answered within le seconds (cumulative), by operation", labelNames: ["op", "le"], registers: [registry] });
  }
  return { registry, interceptor };
}
