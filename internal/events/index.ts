// Events: the bus, webhooks, and how the origin router's events read as bus events.
export { EventBus, matches, QUEUE_CAPACITY, type EventFilter, type EventType, type MusicEvent } from "./bus.ts";
export { redactUrl, signature, startWebhooks, Webhook, webhookBody, type WebhookConfig, type WebhookStats } from "./webhooks.ts";
import type { RouterEvent } from "../origins/router.ts";
import type { EventBus } from "./bus.ts";

/** The router's events as the predecessor's event types. */
export function publishRouterEvent(bus: EventBus, e: RouterEvent): void {
  if (e.type === "origin_health_changed") {
    bus.publish({ eventType: "origin_health_changed", originId: e.originId, metadata: { healthy: String(e.status === "healthy"), status: e.status, ...(e.error ? { error: e.error } : {}) } });
  } else if (e.type === "all_origins_unhealthy") {
    bus.publish({ eventType: "all_origins_unhealthy", metadata: { candidate_count: String(e.candidates) } });
  } else if (e.type === "failover") {
    bus.publish({ eventType: "failover", originId: e.to, metadata: { from: e.from, to: e.to, reason: e.reason } });
  }
}
