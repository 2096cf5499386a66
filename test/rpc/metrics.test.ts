// GET /metrics on `musicfs serve`: what Prometheus would scrape, parsed by an independent reader
// (Debian's python3-prometheus-client, which CI installs), with the token enforced when set.
import { afterAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { openCatalog, upsertTracks } from "../../internal/catalog/index.ts";
import { MusicFS } from "../../proto/gen/musicfs/v1/musicfs_pb.ts";
import { track } from "../search/fixture.ts";
import { BUN, clientFor, REPO, tempDir } from "./helpers.ts";
import { firstLine } from "../helpers.ts";

const MAIN = path.join(import.meta.dir, "serve-main.ts");
const PY = "/usr/bin/python3";
const pyCheck = fs.existsSync(PY) ? Bun.spawnSync([PY, "-c", "import prometheus_client"], { stderr: "ignore" }) : null;
const noParser = !pyCheck ? `${PY} not found` : pyCheck.exitCode !== 0 ? "python3-prometheus-client is not installed (apt-get install python3-prometheus-client)" : "";
if (noParser) console.log(`metrics text checked with a regexp only: ${noParser}`);

const dir = tempDir("musicfs-metrics-");
const procs: Bun.Subprocess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
});

async function serve(args: string[], env: Record<string, string> = {}): Promise<string> {
  const proc = Bun.spawn([BUN, MAIN, "serve", "--listen", "127.0.0.1:0", "--json", ...args], { cwd: REPO, stdout: "pipe", stderr: "pipe", env: { ...process.env, MUSICFS_TOKEN: "", ...env } });
  procs.push(proc);
  return JSON.parse(await firstLine(proc.stdout)).address as string;
}

/** name{labels} → value, through the Python parser when it is there. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!noParser) {
    const py = `import sys, json
from prometheus_client.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        out.append([s.name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items())) + "}", s.value])
print(json.dumps(out))`;
    const r = Bun.spawnSync([PY, "-c", py], { stdin: Buffer.from(text), stdout: "pipe", stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
    for (const [k, v] of JSON.parse(r.stdout.toString()) as [string, number][]) out.set(k, v);
    return out;
  }
  for (const m of text.matchAll(/^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/gm)) {
    const labels = (m[2] ?? "").split(",").filter(Boolean).sort().join(",");
    out.set(`${m[1]}{${labels}}`, Number(m[3]));
  }
  return out;
}

test("serve --db: GET /metrics counts calls by method and code, and reports the catalog", async () => {
  const db = path.join(dir, "catalog.db");
  const c = openCatalog(db);
  upsertTracks(c, [track({ artist: "Björk", title: "Jóga" }), track({ artist: "Björk", title: "Hunter" }), track({ artist: "Sigur Rós", title: "Hoppípolla" })]);
  c.close();
  const address = await serve(["--db", db]);
  const client = clientFor(MusicFS, address, "grpc");
  await client.search({ query: "bjork" });
  await client.search({ query: "bjork" });
  await client.search({ query: "artist:(" }).catch(() => {});
  const res = await fetch(`${address}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  const m = samples(await res.text());
  expect(m.get('musicfs_rpc_requests_total{code="ok",method="musicfs.v1.MusicFS/Search"}')).toBe(2);
  expect(m.get('musicfs_rpc_requests_total{code="invalid_argument",method="musicfs.v1.MusicFS/Search"}')).toBe(1);
  expect(m.get('musicfs_rpc_duration_seconds_count{method="musicfs.v1.MusicFS/Search"}')).toBe(3);
  expect(m.get("musicfs_catalog_tracks{}")).toBe(3);
  // curl, as an operator would.
  const curl = Bun.spawnSync(["curl", "-sSf", `${address}/metrics`], { stdout: "pipe", stderr: "pipe" });
  if (curl.exitCode === 0) expect(curl.stdout.toString()).toContain("# TYPE musicfs_rpc_requests_total counter");
  else if (Bun.which("curl")) throw new Error(`curl /metrics failed: ${curl.stderr}`);
});

test("with a token, /metrics needs it too", async () => {
  const address = await serve([], { MUSICFS_TOKEN: "s3cret-token" });
  expect((await fetch(`${address}/metrics`)).status).toBe(401);
  expect((await fetch(`${address}/metrics`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
  const ok = await fetch(`${address}/metrics`, { headers: { authorization: "Bearer s3cret-token" } });
  expect(ok.status).toBe(200);
  expect(await ok.text()).not.toContain("s3cret-token");
});
