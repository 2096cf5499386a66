// 200 concurrent clients against a real `musicfs serve` child process for a bounded time: every
// client has its own connection (HTTP/2, gRPC) and sends Search calls back to back, mixed query
// types, over a synthetic 20 k-track catalog. Errors must stay at 0; latency percentiles and
// throughput are reported. 30 s in full mode (3 repetitions of 10 s), 3 s with --quick (3 of 1 s).
// The server runs in its own process so that it and the 200 clients each get a core, as on a
// server with remote clients; in one process they would share a thread.
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defineScenario } from "../../internal/bench/index.ts";
import { MusicFS } from "../../proto/gen/musicfs/v1/musicfs_pb.ts";
import { findMusicfsBinary } from "./binary.ts";
import { buildSyntheticDb, queriesFor, QUERY_TYPES } from "./search-rpc.ts";

export const CLIENTS = 200;
const TRACKS = 20_000;

interface State {
  dir: string;
  server: ServeChild;
  clients: Client<typeof MusicFS>[];
  queries: string[];
  seconds: number;
}

interface ServeChild {
  address: string;
  stop(): Promise<void>;
}

/**
 * `musicfs serve --db FILE` on 127.0.0.1 port 0: the compiled executable when there is one (the
 * bench itself, or dist/musicfs), else this checkout's cmd/musicfs.ts under the running Bun.
 */
export async function startServeChild(db: string): Promise<ServeChild> {
  const bin = findMusicfsBinary();
  const argv = bin ? [bin] : [process.execPath, path.resolve(import.meta.dir, "../../cmd/musicfs.ts")];
  const proc = Bun.spawn([...argv, "serve", "--db", db, "--listen", "127.0.0.1:0", "--json"], { stdout: "pipe", stderr: "pipe", env: { ...process.env, MUSICFS_TOKEN: "" } });
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`musicfs serve exited before it was ready: ${await new Response(proc.stderr).text()}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const ready = JSON.parse(text.split("\n")[0]) as { address: string };
  return {
    address: ready.address,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/**
 * Every client calls Search back to back until `ms` have passed. Returns sorted latencies (ms),
 * the number of failed calls and the first failure's text.
 */
export async function hammer(clients: Client<typeof MusicFS>[], queries: string[], ms: number): Promise<{ latencies: number[]; errors: number; firstError?: string }> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const end = performance.now() + ms;
  await Promise.all(
    clients.map(async (c, k) => {
      for (let i = k; performance.now() < end; i += clients.length) {
        const t0 = Bun.nanoseconds();
        try {
          await c.search({ query: queries[i % queries.length], limit: 20 }, { timeoutMs: 30_000 });
          latencies.push((Bun.nanoseconds() - t0) / 1e6);
        } catch (e) {
          errors++;
          firstError ??= (e as Error)?.message ?? String(e);
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { latencies, errors, firstError };
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const x = (sorted.length - 1) * p;
  const lo = Math.floor(x);
  return sorted[lo] + (sorted[Math.ceil(x)] - sorted[lo]) * (x - lo);
}

export const rpcConcurrency = defineScenario<State>({
  id: "rpc-concurrency",
  description: `${CLIENTS} concurrent gRPC clients calling Search back to back (${TRACKS} synthetic tracks)`,
  metrics: [
    { id: "errors", unit: "calls", better: "lower", description: "failed calls (any status but OK)" },
    { id: "p50", unit: "ms", better: "lower" },
    { id: "p99", unit: "ms", better: "lower" },
    { id: "throughput", unit: "calls/s", better: "higher" },
  ],
  size: { full: 10, quick: 1, unit: "s per repetition" },
  repeat: { full: 3, quick: 3 },
  warmup: { full: 0, quick: 0 },
  budgetMs: { full: 60_000, quick: 10_000 },
  async setup(ctx) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-bench-conc-"));
    const file = path.join(dir, "catalog.db");
    const { db, data } = buildSyntheticDb(file, TRACKS);
    db.close(); // checkpoints the WAL: the server opens the file read-only
    const server = await startServeChild(file);
    // The runner's load figure counts every other process, this server included.
    ctx.note("server: a musicfs serve child process (its CPU shows in the 'other processes' load figure)");
    const clients = Array.from({ length: CLIENTS }, () => createClient(MusicFS, createGrpcTransport({ baseUrl: server.address })));
    const byType = queriesFor(data, 40);
    const queries = QUERY_TYPES.flatMap((t) => byType[t]);
    // Warm-up inside setup: connections opened, JIT settled (a repetition is one long run).
    await hammer(clients, queries, ctx.quick ? 300 : 1000);
    return { dir, server, clients, queries, seconds: ctx.size };
  },
  async run(s, ctx) {
    const t0 = performance.now();
    const r = await hammer(s.clients, s.queries, s.seconds * 1000);
    const elapsed = (performance.now() - t0) / 1000;
    if (r.firstError) ctx.note(`first error: ${r.firstError}`);
    return { errors: r.errors, p50: pct(r.latencies, 0.5), p99: pct(r.latencies, 0.99), throughput: r.latencies.length / elapsed };
  },
  async teardown(s) {
    await s.server.stop();
    fs.rmSync(s.dir, { recursive: true, force: true });
  },
});
