// Health state of one origin, fed by periodic probes and by real reads (passive checks). Failures
// are counted consecutively; the origin turns unhealthy at its type's threshold (local 1, remote 3)
// and is degraded in between. Any success makes it healthy again, which is how a primary that
// comes back wins its traffic back.
import type { HealthStatus } from "./types.ts";

export type TrackedStatus = HealthStatus | "unknown";

export class HealthState {
  status: TrackedStatus = "unknown";
  consecutiveFailures = 0;
  lastCheckMs = 0;
  lastError: string | undefined;
  lastProbeLatencyMs: number | undefined;

  constructor(readonly threshold: number) {}

  success(): boolean {
    const changed = this.status !== "healthy";
    this.status = "healthy";
    this.consecutiveFailures = 0;
    this.lastError = undefined;
    return changed;
  }

  degraded(reason: string | undefined): boolean {
    const changed = this.status !== "degraded";
    this.status = "degraded";
    this.lastError = reason;
    return changed;
  }

  failure(reason: string): boolean {
    const before = this.status;
    this.consecutiveFailures++;
    this.lastError = reason;
    this.status = this.consecutiveFailures >= this.threshold ? "unhealthy" : "degraded";
    return before !== this.status;
  }

  /** Routing rank: healthy first, then degraded/unknown, then unhealthy (tried only as a last resort). */
  get rank(): number {
    return this.status === "healthy" ? 0 : this.status === "unhealthy" ? 2 : 1;
  }
}
