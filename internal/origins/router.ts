// Federation of origins: one track may live on several origins (recognised by fingerprint+size,
// the catalog's identity), and any of them may serve it. A read goes to the best origin (health,
// then priority, then p50 latency). If that origin errors, the next one is asked at once; if it
// does not answer within `hedgeAfterMs`, the next one is asked too and the first answer wins, so a
// reader whose origin dies or hangs mid-file carries on within a couple of seconds, without an
// error. Only when every location failed does it back off (exponential, with jitter) and retry.
import type { FailoverConfig, HealthConfig } from "../config/index.ts";
import { backoffDelay, sleep } from "./backoff.ts";
import { HealthState, type TrackedStatus } from "./health.ts";
import { LatencyWindow } from "./latency.ts";
import { normalizeOriginPath } from "./paths.ts";
import { type Origin, OriginError, toOriginError, withTimeout } from "./types.ts";

export interface TrackLocation {
  originId: string;
  path: string;
}

/** What the mount knows about a file from the catalog. */
export interface TrackRef {
  /** Catalog fingerprint (16 hex digits); with `size` it finds copies on other origins. */
  fingerprint?: string;
  size: number;
  locations: readonly TrackLocation[];
  /** Optional explicit cache identity (see Router.cacheKey). */
  cacheKey?: string;
}

/**
 * Cache identity of a track's content: `cacheKey` if the caller has one (e.g. with the mtime, to
 * invalidate after an in-place edit), else fingerprint+size (shared by all copies), else the
 * first location. Note the catalog fingerprint covers head, tail and size only. A pure function:
 * FUSE workers compute the same key to read the chunk cache themselves.
 */
export function trackCacheKey(t: TrackRef): string {
  if (t.cacheKey) return t.cacheKey;
  if (t.fingerprint) return `fp:${t.fingerprint}:${t.size}`;
  const l = t.locations[0];
  return `loc:${l?.originId}:${l?.path}:${t.size}`;
}

export interface OriginInfo {
  id: string;
  type: string;
  displayName: string;
  priority: number;
  status: TrackedStatus;
  consecutiveFailures: number;
  lastCheckMs: number;
  lastError?: string;
  p50Ms?: number;
  p99Ms?: number;
}

export interface RouterStats {
  reads: number;
  failovers: number;
  hedges: number;
  retries: number;
  failures: number;
}

export type RouterEvent =
  | { type: "origin_health_changed"; originId: string; status: TrackedStatus; error?: string }
  | { type: "all_origins_unhealthy"; candidates: number }
  | { type: "failover"; from: string; to: string; reason: string };

interface Entry {
  origin: Origin;
  priority: number;
  health: HealthState;
  latency: LatencyWindow;
}

export interface RouterOptions {
  health?: Partial<HealthConfig>;
  failover?: Partial<FailoverConfig>;
  onEvent?: (e: RouterEvent) => void;
  random?: () => number;
}

const DEFAULT_HEALTH: HealthConfig = {
  checkIntervalMs: 30000, timeoutMs: 5000, unhealthyThreshold: 3,
  perOriginThresholds: { local: 1, nfs: 3, smb: 3, s3: 3, sftp: 3 },
};
const MIB = 1024 * 1024;
const DEFAULT_FAILOVER: FailoverConfig = { retries: 3, baseDelayMs: 100, maxDelayMs: 2000, hedgeAfterMs: 1500, requestTimeoutMs: 30000 };

export class Router {
  private readonly entries = new Map<string, Entry>();
  private readonly replicas = new Map<string, TrackLocation[]>();
  private readonly health: HealthConfig;
  private readonly failover: FailoverConfig;
  private timer: ReturnType<typeof setInterval> | undefined;
  private checking: Promise<void> | null = null;
  readonly stats: RouterStats = { reads: 0, failovers: 0, hedges: 0, retries: 0, failures: 0 };

  constructor(private readonly opts: RouterOptions = {}) {
    this.health = { ...DEFAULT_HEALTH, ...opts.health, perOriginThresholds: { ...DEFAULT_HEALTH.perOriginThresholds, ...opts.health?.perOriginThresholds } };
    this.failover = { ...DEFAULT_FAILOVER, ...opts.failover };
  }

  add(origin: Origin, priority = 100): void {
    if (this.entries.has(origin.id)) throw new OriginError("EINVAL", `origin ${origin.id} is already registered`, origin.id);
    const threshold = this.health.perOriginThresholds[origin.type] ?? this.health.unhealthyThreshold;
    this.entries.set(origin.id, { origin, priority, health: new HealthState(threshold), latency: new LatencyWindow(100) });
  }

  async remove(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    for (const [k, locs] of this.replicas) {
      const kept = locs.filter((l) => l.originId !== id);
      if (kept.length) this.replicas.set(k, kept);
      else this.replicas.delete(k);
    }
    await e.origin.close();
  }

  // Printing a router prints its state, never the origins' internals.
  toJSON(): object {
    return { origins: this.origins(), stats: this.stats };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Router(${JSON.stringify(this.toJSON())})`;
  }

  get(id: string): Origin | undefined {
    return this.entries.get(id)?.origin;
  }

  /** Cache identity of a track's content (trackCacheKey). */
  cacheKey(t: TrackRef): string {
    return trackCacheKey(t);
  }

  /** True when the best location is a healthy local disk: the cache reads it directly. */
  isLocal(t: TrackRef): boolean {
    const best = this.locate(t)[0];
    const e = best && this.entries.get(best.originId);
    return !!e && e.origin.type === "local" && e.health.status !== "unhealthy";
  }

  /**
   * How many blocks of `blockBytes` one read-ahead request to the track's best origin should ask
   * for, up to `maxBlocks`. Fewer, larger requests suit servers that pay per request (s3rver: 1 MiB
   * GETs 260-285 MB/s one at a time, 4 MiB 365-497), but a request must stay well inside the hedge
   * deadline, or a slow link would be hedged and struck on every read: the count follows the
   * origin's measured time per block (p50), and is 1 until there is one.
   */
  readAheadBlocks(track: TrackRef, blockBytes: number, maxBlocks: number): number {
    const best = this.locate(track)[0];
    const e = best && this.entries.get(best.originId);
    const p50 = e?.latency.p50();
    if (!e || p50 === undefined || e.health.status !== "healthy") return 1;
    const perBlockMs = (p50 * blockBytes) / MIB;
    let n = Math.max(1, Math.floor(maxBlocks));
    while (n > 1 && n * perBlockMs > this.failover.hedgeAfterMs / 2) n >>= 1;
    return n;
  }

  /** Records that `fingerprint`+`size` is (also) at `loc`, e.g. from a scan of each origin. */
  addReplica(fingerprint: string, size: number, loc: TrackLocation): void {
    const k = `${fingerprint}:${size}`;
    const list = this.replicas.get(k) ?? [];
    const path = normalizeOriginPath(loc.path, loc.originId);
    if (!list.some((l) => l.originId === loc.originId && l.path === path)) list.push({ originId: loc.originId, path });
    this.replicas.set(k, list);
  }

  removeReplica(fingerprint: string, size: number, loc: TrackLocation): void {
    const k = `${fingerprint}:${size}`;
    const list = this.replicas.get(k)?.filter((l) => !(l.originId === loc.originId && l.path === normalizeOriginPath(loc.path)));
    if (list?.length) this.replicas.set(k, list);
    else this.replicas.delete(k);
  }

  /** All known locations of a track, best first. */
  locate(track: TrackRef): TrackLocation[] {
    const all: TrackLocation[] = [];
    const seen = new Set<string>();
    const push = (l: TrackLocation) => {
      const k = `${l.originId}\0${l.path}`;
      if (!seen.has(k) && this.entries.has(l.originId)) {
        seen.add(k);
        all.push(l);
      }
    };
    for (const l of track.locations) push(l);
    if (track.fingerprint) for (const l of this.replicas.get(`${track.fingerprint}:${track.size}`) ?? []) push(l);
    return all.sort((a, b) => this.compare(this.entries.get(a.originId)!, this.entries.get(b.originId)!));
  }

  private compare(a: Entry, b: Entry): number {
    return a.health.rank - b.health.rank || a.priority - b.priority || (a.latency.p50() ?? 0) - (b.latency.p50() ?? 0);
  }

  /**
   * Reads [offset, offset+length) of a track, clamped at its size. Resolves with exactly
   * min(length, size-offset) bytes or rejects after every location failed on every retry.
   */
  async read(track: TrackRef, offset: number, length: number, opts: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    if (offset >= track.size || length <= 0) return new Uint8Array(0);
    const want = Math.min(length, track.size - offset);
    this.stats.reads++;
    // One deadline for the whole read, retries included: a FUSE read must get an answer (EIO)
    // rather than block for minutes when every copy hangs.
    const deadline = performance.now() + this.failover.requestTimeoutMs;
    const signal = opts.signal;
    let lastErr: unknown;
    for (let round = 0; round <= this.failover.retries; round++) {
      if (signal?.aborted) throw new OriginError("EINTR", "read interrupted");
      const left = deadline - performance.now();
      if (left <= 0) {
        lastErr ??= new OriginError("ETIMEDOUT", `read: no copy answered within ${this.failover.requestTimeoutMs} ms`);
        break;
      }
      const locs = this.locate(track);
      if (locs.length === 0) throw new OriginError("ENOENT", "no registered origin holds this track");
      if (round === 0 && locs.every((l) => this.entries.get(l.originId)?.health.status === "unhealthy")) {
        this.emit({ type: "all_origins_unhealthy", candidates: locs.length });
      }
      try {
        return await abortable(this.readHedged(locs, offset, want, left), signal);
      } catch (e) {
        lastErr = e;
        if (e instanceof OriginError && e.code === "EINTR") throw e;
        // Nothing but missing files everywhere: retrying will not help.
        if (e instanceof OriginError && e.isPermanent) break;
      }
      if (round < this.failover.retries) {
        this.stats.retries++;
        const pause = Math.min(backoffDelay(round, this.failover.baseDelayMs, this.failover.maxDelayMs, this.opts.random), deadline - performance.now());
        if (pause > 0) await abortable(sleep(pause), signal);
      }
    }
    this.stats.failures++;
    throw lastErr instanceof OriginError ? lastErr : toOriginError(lastErr, "router", "read");
  }

  /** One pass over the locations: sequential on errors, overlapping (hedged) on slowness. */
  private readHedged(locs: TrackLocation[], offset: number, want: number, timeoutMs: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      let next = 0;
      let pending = 0;
      let done = false;
      let lastErr: unknown;
      let allPermanent = true;
      let hedgeTimer: ReturnType<typeof setTimeout> | undefined;

      const startNext = (reason: string): void => {
        if (done || next >= locs.length) return;
        const i = next++;
        if (i > 0) {
          this.stats.failovers++;
          this.emit({ type: "failover", from: locs[i - 1].originId, to: locs[i].originId, reason });
        }
        pending++;
        const loc = locs[i];
        const e = this.entries.get(loc.originId);
        if (!e) {
          // The origin was removed or the router closed while this read waited (e.g. a hedge timer).
          pending--;
          done = true;
          clearTimeout(hedgeTimer);
          reject(new OriginError("EIO", `origin ${loc.originId} is no longer registered (router closed?)`, loc.originId));
          return;
        }
        const t0 = performance.now();
        clearTimeout(hedgeTimer);
        if (i + 1 < locs.length) {
          hedgeTimer = setTimeout(() => {
            if (done) return;
            this.stats.hedges++;
            // A read slower than the hedge deadline is a soft failure: the next read prefers another origin.
            this.noteFailure(e, `read slower than ${this.failover.hedgeAfterMs} ms`);
            startNext("slow");
          }, this.failover.hedgeAfterMs);
        }
        withTimeout(e.origin.read(loc.path, offset, want), timeoutMs, `read ${loc.path}`, loc.originId).then(
          (data) => {
            pending--;
            if (data.length !== want) {
              // A copy of another length is not the same file any more; do not serve it.
              const err = new OriginError("ESIZE", `origin returned ${data.length} of ${want} bytes: copy differs from the catalog`, loc.originId);
              return onError(e, err);
            }
            const took = performance.now() - t0;
            // Per MiB for larger reads (read-ahead runs), so latencies of different sizes compare.
            e.latency.add(want > MIB ? (took * MIB) / want : took);
            // An answer slower than the hedge deadline does not clear the strike it earned, or a
            // slow origin would win the next read back and stall it again.
            if (took <= this.failover.hedgeAfterMs) this.noteSuccess(e);
            if (done) return;
            done = true;
            clearTimeout(hedgeTimer);
            resolve(data);
          },
          (err) => {
            pending--;
            onError(e, toOriginError(err, loc.originId, "read"));
          },
        );
      };

      const onError = (e: Entry, err: OriginError): void => {
        lastErr = err;
        if (!err.isPermanent) {
          allPermanent = false;
          this.noteFailure(e, err.message);
        }
        if (done) return;
        if (next < locs.length) startNext(err.code);
        else if (pending === 0) {
          done = true;
          clearTimeout(hedgeTimer);
          reject(allPermanent ? lastErr : lastErr instanceof OriginError && lastErr.isPermanent ? new OriginError("EIO", lastErr.message, lastErr.originId) : lastErr);
        }
      };

      startNext("");
    });
  }

  private noteSuccess(e: Entry): void {
    if (e.health.success()) this.emit({ type: "origin_health_changed", originId: e.origin.id, status: "healthy" });
  }

  private noteFailure(e: Entry, reason: string): void {
    if (e.health.failure(reason)) this.emit({ type: "origin_health_changed", originId: e.origin.id, status: e.health.status, error: reason });
  }

  private emit(ev: RouterEvent): void {
    try {
      this.opts.onEvent?.(ev);
    } catch {
      /* a listener's bug must not break reads */
    }
  }

  /** Probes every origin in parallel, each with the health timeout. Concurrent calls share one run. */
  checkHealth(): Promise<void> {
    if (this.checking) return this.checking;
    this.checking = Promise.all([...this.entries.values()].map(async (e) => {
      const t0 = performance.now();
      try {
        const r = await withTimeout(e.origin.health(), this.health.timeoutMs, "health", e.origin.id);
        // Wall time as the router saw it (includes queueing in front of the origin's own timer).
        const took = Math.max(r.latencyMs, performance.now() - t0);
        e.health.lastProbeLatencyMs = took;
        let changed = false;
        // A probe that answers, but slower than a read may take before being hedged, is degraded:
        // reads would stall on it, so healthy copies elsewhere go first.
        if (r.status === "healthy" && took > this.failover.hedgeAfterMs) changed = e.health.degraded(`slow health probe (${Math.round(took)} ms)`);
        else if (r.status === "healthy") changed = e.health.success();
        else if (r.status === "degraded") changed = e.health.degraded(r.error);
        else changed = e.health.failure(r.error ?? "unhealthy");
        if (changed) this.emit({ type: "origin_health_changed", originId: e.origin.id, status: e.health.status, error: e.health.lastError });
      } catch (err) {
        e.health.lastProbeLatencyMs = performance.now() - t0;
        this.noteFailure(e, toOriginError(err, e.origin.id, "health").message);
      } finally {
        e.health.lastCheckMs = Date.now();
      }
    })).then(() => {}).finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  /** Starts periodic health checks (first one now). */
  start(): void {
    if (this.timer) return;
    void this.checkHealth();
    this.timer = setInterval(() => void this.checkHealth(), this.health.checkIntervalMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  origins(): OriginInfo[] {
    return [...this.entries.values()].map((e) => ({
      id: e.origin.id, type: e.origin.type, displayName: e.origin.displayName, priority: e.priority,
      status: e.health.status, consecutiveFailures: e.health.consecutiveFailures, lastCheckMs: e.health.lastCheckMs,
      lastError: e.health.lastError, p50Ms: e.latency.p50(), p99Ms: e.latency.p99(),
    }));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.entries.values()].map((e) => e.origin.close()));
    this.entries.clear();
  }
}

/** Rejects with EINTR when `signal` aborts (the work itself goes on; its result is dropped). */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new OriginError("EINTR", "read interrupted"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new OriginError("EINTR", "read interrupted"));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
