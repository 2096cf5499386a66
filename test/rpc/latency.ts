// Search latency through each protocol against the fake backend, server in its own process.
// A measurement, not a test (no pass/fail):
//   bun test/rpc/latency.ts [calls=1000] [--json] [--db CATALOG --query Q]
// With --db the server searches that catalog through internal/search instead of the fake.
// Each protocol: 100 warm-up calls, then `calls` sequential Search calls (limit 10) on one
// connection; prints p50/p95/p99 and mean in milliseconds.
import { MusicFS } from "../../proto/gen/musicfs/v1/musicfs_pb.ts";
import { openCatalog } from "../../internal/catalog/index.ts";
import { catalogBackend, registerMusicfsServices, startServer, type SearchBackend } from "../../internal/rpc/index.ts";
import { fakeBackend, makeTracks } from "./fake-backend.ts";
import { BUN, clientFor, type Protocol } from "./helpers.ts";

const flag = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const dbPath = flag("--db");
const query = flag("--query") ?? "metallica album";

if (process.argv.includes("--server")) {
  const backend: SearchBackend = dbPath ? catalogBackend(openCatalog(dbPath, { readonly: true })) : fakeBackend(makeTracks(1000));
  const s = await startServer({ listen: "127.0.0.1:0", services: (r) => registerMusicfsServices(r, { backend }) });
  process.stdout.write(s.address + "\n");
  process.on("SIGTERM", () => void s.close().then(() => process.exit(0)));
} else {
  const calls = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1000);
  const child = Bun.spawn([BUN, import.meta.path, "--server", ...(dbPath ? ["--db", dbPath] : [])], { stdout: "pipe", stderr: "inherit" });
  const reader = child.stdout.getReader();
  const address = new TextDecoder().decode((await reader.read()).value).trim();
  const rows: { protocol: string; p50: number; p95: number; p99: number; mean: number }[] = [];
  for (const protocol of ["grpc", "grpc-web", "grpc-web-h1", "connect-h2", "connect-h1"] as Protocol[]) {
    const c = clientFor(MusicFS, address, protocol);
    for (let i = 0; i < 100; i++) await c.search({ query, limit: 10 });
    const t: number[] = [];
    for (let i = 0; i < calls; i++) {
      const start = performance.now();
      await c.search({ query, limit: 10, offset: i % 50 });
      t.push(performance.now() - start);
    }
    t.sort((a, b) => a - b);
    const q = (p: number) => t[Math.min(t.length - 1, Math.floor(p * t.length))];
    rows.push({ protocol, p50: q(0.5), p95: q(0.95), p99: q(0.99), mean: t.reduce((a, b) => a + b, 0) / t.length });
  }
  // The same search without RPC, to tell transport cost from backend cost.
  const backend: SearchBackend = dbPath ? catalogBackend(openCatalog(dbPath, { readonly: true })) : fakeBackend(makeTracks(1000));
  const direct: number[] = [];
  for (let i = 0; i < calls + 100; i++) {
    const start = performance.now();
    await backend.search(query, { limit: 10, offset: i % 50, sort: "relevance" });
    if (i >= 100) direct.push(performance.now() - start);
  }
  direct.sort((a, b) => a - b);
  const dq = (p: number) => direct[Math.min(direct.length - 1, Math.floor(p * direct.length))];
  rows.push({ protocol: "no-rpc", p50: dq(0.5), p95: dq(0.95), p99: dq(0.99), mean: direct.reduce((a, b) => a + b, 0) / direct.length });
  child.kill("SIGTERM");
  await child.exited;
  if (process.argv.includes("--json")) process.stdout.write(JSON.stringify({ calls, rows }) + "\n");
  else {
    const what = dbPath ? `catalog ${dbPath}, query ${JSON.stringify(query)}` : "fake backend (1000 tracks)";
    console.log(`Search latency, ${calls} sequential calls per protocol, ${what}, server in a child process (ms)`);
    console.log("protocol       p50     p95     p99     mean");
    for (const r of rows) console.log(`${r.protocol.padEnd(12)} ${[r.p50, r.p95, r.p99, r.mean].map((v) => v.toFixed(3).padStart(7)).join(" ")}`);
  }
}
