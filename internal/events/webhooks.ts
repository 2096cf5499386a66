// Webhooks (FR-18.2): each event a webhook wants is POSTed as JSON {event_type, timestamp, data}
// with X-MusicFS-Event and X-MusicFS-Signature: sha256=<hex HMAC-SHA256(secret, body)> (empty
// without a secret), retried with backoff 100 ms * 2^attempt. Deliveries run one at a time per
// webhook, in order, from a bounded queue: a slow receiver delays only its own events, and the
// oldest are dropped (and counted) when it falls 1024 behind. The secret never reaches a log.
import { createHmac } from "node:crypto";
import type { Secret } from "../config/secret.ts";
import { type EventBus, matches, type MusicEvent, QUEUE_CAPACITY } from "./bus.ts";

export interface WebhookConfig {
  url: string;
  secret?: Secret;
  /** Empty: every event type. */
  events: string[];
  retryCount: number;
  timeoutMs: number;
}

export interface WebhookStats {
  delivered: number;
  failed: number;
  dropped: number;
}

export function webhookBody(e: MusicEvent): string {
  const data: Record<string, unknown> = { ...e.metadata };
  if (e.originId !== undefined) data.origin_id = e.originId;
  if (e.path !== undefined) data.path = e.path;
  if (e.fileId !== undefined) data.file_id = e.fileId;
  return JSON.stringify({ event_type: e.eventType, timestamp: e.timestampMs, data });
}

export function signature(secret: Secret | undefined, body: string): string {
  return secret ? `sha256=${createHmac("sha256", secret.reveal()).update(body).digest("hex")}` : "";
}

export class Webhook {
  readonly stats: WebhookStats = { delivered: 0, failed: 0, dropped: 0 };
  private readonly queue: MusicEvent[] = [];
  private running = false;
  private idle: Array<() => void> = [];

  constructor(
    readonly config: WebhookConfig,
    private readonly log: (line: string) => void = () => {},
    private readonly sleep: (ms: number) => Promise<void> = (ms) => Bun.sleep(ms),
  ) {}

  offer(e: MusicEvent): void {
    if (!matches(e, { eventTypes: this.config.events })) return;
    this.queue.push(e);
    if (this.queue.length > QUEUE_CAPACITY) {
      this.queue.shift();
      this.stats.dropped++;
    }
    if (!this.running) void this.drain();
  }

  /** Resolves when every queued event was delivered or given up (tests, shutdown). */
  flush(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) await this.deliver(this.queue.shift()!);
    this.running = false;
    for (const f of this.idle.splice(0)) f();
  }

  private async deliver(e: MusicEvent): Promise<void> {
    const body = webhookBody(e);
    const headers = { "content-type": "application/json", "x-musicfs-event": e.eventType, "x-musicfs-signature": signature(this.config.secret, body) };
    let last = "";
    for (let attempt = 0; attempt <= this.config.retryCount; attempt++) {
      if (attempt > 0) await this.sleep(100 * 2 ** attempt);
      try {
        const res = await fetch(this.config.url, { method: "POST", headers, body, signal: AbortSignal.timeout(this.config.timeoutMs) });
        await res.arrayBuffer().catch(() => {});
        if (res.ok) {
          this.stats.delivered++;
          return;
        }
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = (err as Error).name === "TimeoutError" ? `no answer within ${this.config.timeoutMs} ms` : (err as Error).message;
      }
    }
    this.stats.failed++;
    this.log(`webhook ${redactUrl(this.config.url)}: ${e.eventType} not delivered after ${this.config.retryCount + 1} attempts: ${last}`);
  }
}

/** A URL for logs: any user:password part is dropped. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return "(invalid url)";
  }
}

/** Sends every event of `bus` to each webhook; returns the webhooks (stats, flush). */
export function startWebhooks(bus: EventBus, configs: readonly WebhookConfig[], log?: (line: string) => void): Webhook[] {
  const hooks = configs.map((c) => new Webhook(c, log));
  if (hooks.length > 0) bus.listen((e) => hooks.forEach((h) => h.offer(e)));
  return hooks;
}
