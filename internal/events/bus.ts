// The event bus (FR-18): what happened in this process (a track opened, an origin's health
// changed, a failover), delivered to SubscribeEvents streams and webhooks. Publishing never
// blocks or throws: each subscriber has a bounded queue (1024, as the predecessor's broadcast
// channel), and a subscriber that falls behind loses its oldest events, not the publisher's time.

/** The predecessor's event type strings (requirements: "Event type strings"). */
export type EventType =
  | "file_accessed" | "file_added" | "file_removed" | "file_modified" | "sync_started" | "sync_completed"
  | "origin_health_changed" | "cache_eviction" | "origin_connected" | "origin_disconnected" | "all_origins_unhealthy" | "failover";

export interface MusicEvent {
  eventType: EventType;
  timestampMs: number;
  originId?: string;
  path?: string;
  fileId?: number;
  metadata: Record<string, string>;
}

export interface EventFilter {
  /** Empty: every type. */
  eventTypes?: readonly string[];
  /** Set: only events of this origin; events without an origin are dropped (predecessor behaviour). */
  originId?: string;
}

export const QUEUE_CAPACITY = 1024;

export function matches(e: MusicEvent, f: EventFilter): boolean {
  if (f.eventTypes && f.eventTypes.length > 0 && !f.eventTypes.includes(e.eventType)) return false;
  if (f.originId !== undefined && e.originId !== f.originId) return false;
  return true;
}

class Subscription implements AsyncIterableIterator<MusicEvent> {
  private readonly queue: MusicEvent[] = [];
  private wake: ((r: IteratorResult<MusicEvent>) => void) | null = null;
  private closed = false;
  dropped = 0;

  constructor(
    readonly filter: EventFilter,
    private readonly onClose: (s: Subscription) => void,
  ) {}

  push(e: MusicEvent): void {
    if (this.closed || !matches(e, this.filter)) return;
    if (this.wake) {
      const w = this.wake;
      this.wake = null;
      w({ value: e, done: false });
      return;
    }
    this.queue.push(e);
    if (this.queue.length > QUEUE_CAPACITY) {
      this.queue.shift();
      this.dropped++;
    }
  }

  next(): Promise<IteratorResult<MusicEvent>> {
    const e = this.queue.shift();
    if (e) return Promise.resolve({ value: e, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.wake = resolve));
  }

  return(): Promise<IteratorResult<MusicEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    this.wake?.({ value: undefined, done: true });
    this.wake = null;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

export class EventBus {
  private readonly subs = new Set<Subscription>();
  private readonly listeners = new Set<(e: MusicEvent) => void>();

  publish(e: Omit<MusicEvent, "timestampMs" | "metadata"> & Partial<Pick<MusicEvent, "timestampMs" | "metadata">>): void {
    const ev: MusicEvent = { timestampMs: Date.now(), metadata: {}, ...e };
    for (const s of this.subs) s.push(ev);
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  /** A stream of the events that match `filter`, from now on; end it with return()/close(). */
  subscribe(filter: EventFilter = {}): Subscription {
    const s = new Subscription(filter, (x) => this.subs.delete(x));
    this.subs.add(s);
    return s;
  }

  /** A synchronous listener (webhooks queue their own work). Returns the function that removes it. */
  listen(f: (e: MusicEvent) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  get subscribers(): number {
    return this.subs.size;
  }
}
