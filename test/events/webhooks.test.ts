// Webhooks against a real HTTP receiver on 127.0.0.1: the body, the event header, an HMAC-SHA256
// signature the receiver can check with the shared secret, retries after failures, and the bus's
// filters and bounded queues.
import { afterAll, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { parseConfig, Secret } from "../../internal/config/index.ts";
import { EventBus, QUEUE_CAPACITY, startWebhooks, Webhook } from "../../internal/events/index.ts";

interface Got {
  body: string;
  headers: Record<string, string>;
}
const got: Got[] = [];
let failNext = 0;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const body = await req.text();
    if (failNext > 0) {
      failNext--;
      return new Response("busy", { status: 503 });
    }
    got.push({ body, headers: Object.fromEntries(req.headers) });
    return new Response("ok");
  },
});
afterAll(() => server.stop(true));
const url = `http://127.0.0.1:${server.port}/hook`;

test("an event is POSTed as JSON with its type and a signature the receiver can verify", async () => {
  got.length = 0;
  const bus = new EventBus();
  const [hook] = startWebhooks(bus, [{ url, secret: new Secret("shh-shared"), events: [], retryCount: 3, timeoutMs: 2000 }]);
  bus.publish({ eventType: "file_accessed", fileId: 42, originId: "disk", path: "/music/a.flac" });
  await hook.flush();
  expect(got.length).toBe(1);
  const { body, headers } = got[0];
  expect(JSON.parse(body)).toMatchObject({ event_type: "file_accessed", data: { file_id: 42, origin_id: "disk", path: "/music/a.flac" } });
  expect(typeof JSON.parse(body).timestamp).toBe("number");
  expect(headers["content-type"]).toBe("application/json");
  expect(headers["x-musicfs-event"]).toBe("file_accessed");
  expect(headers["x-musicfs-signature"]).toBe(`sha256=${createHmac("sha256", "shh-shared").update(body).digest("hex")}`);
  expect(JSON.stringify(hook.config)).not.toContain("shh-shared");
});

test("a receiver that fails twice gets the event on the third attempt; one that always fails is given up and logged", async () => {
  got.length = 0;
  failNext = 2;
  const sleeps: number[] = [];
  const lines: string[] = [];
  const hook = new Webhook({ url, events: [], retryCount: 3, timeoutMs: 2000 }, (l) => lines.push(l), async (ms) => void sleeps.push(ms));
  hook.offer({ eventType: "origin_health_changed", timestampMs: 1, originId: "nas", metadata: { healthy: "false" } });
  await hook.flush();
  expect(got.length).toBe(1);
  expect(got[0].headers["x-musicfs-signature"]).toBe(""); // no secret, no signature
  expect(sleeps).toEqual([200, 400]);
  expect(hook.stats).toMatchObject({ delivered: 1, failed: 0 });
  failNext = 100;
  hook.offer({ eventType: "file_accessed", timestampMs: 2, metadata: {} });
  await hook.flush();
  failNext = 0;
  expect(hook.stats.failed).toBe(1);
  expect(lines.join("\n")).toContain("not delivered after 4 attempts: HTTP 503");
});

test("filters: event types, and an origin filter drops events without an origin; slow subscribers lose the oldest", async () => {
  const bus = new EventBus();
  const sub = bus.subscribe({ eventTypes: ["file_accessed"], originId: "disk" });
  bus.publish({ eventType: "file_accessed", originId: "disk", fileId: 1 });
  bus.publish({ eventType: "file_accessed", originId: "nas", fileId: 2 });
  bus.publish({ eventType: "all_origins_unhealthy" });
  bus.publish({ eventType: "origin_health_changed", originId: "disk" });
  bus.publish({ eventType: "file_accessed", originId: "disk", fileId: 3 });
  const first = await sub.next();
  const second = await sub.next();
  expect([first.value?.fileId, second.value?.fileId]).toEqual([1, 3]);
  const slow = bus.subscribe();
  for (let i = 0; i < QUEUE_CAPACITY + 10; i++) bus.publish({ eventType: "file_accessed", fileId: i });
  expect(slow.dropped).toBe(10);
  expect((await slow.next()).value?.fileId).toBe(10);
  sub.close();
  slow.close();
  expect(bus.subscribers).toBe(0);
  expect((await sub.next()).done).toBe(true);
});

test("[[webhooks]] in the config: secret from the environment, never printed; bad entries refused", () => {
  const c = parseConfig(`cache_dir = "/c"\n[[origins]]\nid = "d"\norigin_type = "local"\npriority = 1\npath = "/m"\n[[webhooks]]\nurl = "http://127.0.0.1:9/x"\nsecret_env = "HOOK_SECRET"\nevents = ["file_accessed"]\n`, { env: { HOOK_SECRET: "from-env" } });
  expect(c.webhooks[0]).toMatchObject({ url: "http://127.0.0.1:9/x", events: ["file_accessed"], retryCount: 3, timeoutMs: 5000 });
  expect(c.webhooks[0].secret?.reveal()).toBe("from-env");
  expect(JSON.stringify(c.webhooks)).not.toContain("from-env");
  const base = `cache_dir = "/c"\n[[origins]]\nid = "d"\norigin_type = "local"\npriority = 1\npath = "/m"\n[[webhooks]]\n`;
  expect(() => parseConfig(base + `url = "ftp://x"\n`)).toThrow(/webhooks\[0\]\.url/);
  expect(() => parseConfig(base + `url = "http://x"\nsecret_env = "NOPE_UNSET_VAR"\n`, { env: {} })).toThrow(/NOPE_UNSET_VAR is not set/);
  const warned: string[] = [];
  parseConfig(base + `url = "http://x"\nsecret = "inline-one"\n`, { warn: (m) => warned.push(m) });
  expect(warned.join(" ")).toContain("secret is inline");
  expect(warned.join(" ")).not.toContain("inline-one");
});
