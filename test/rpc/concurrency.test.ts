// 200 concurrent calls against one server over the real catalog: every call succeeds and gets
// the answer its query should get, whether the calls share one HTTP/2 connection, each has its
// own, or they come over HTTP/1.1 (Connect). Correctness only; no timings are asserted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { createClient } from "@connectrpc/connect";
import * as fs from "node:fs";
import * as path from "node:path";
import { openCatalog, upsertTracks } from "../../internal/catalog/index.ts";
import { catalogBackend, registerMusicfsServices, startServer, type RunningServer } from "../../internal/rpc/index.ts";
import { search } from "../../internal/search/index.ts";
import { syntheticCatalog, queriesFor, QUERY_TYPES } from "../../bench/scenarios/search-rpc.ts";
import { MusicFS } from "../../proto/gen/musicfs/v1/musicfs_pb.ts";
import { clientFor, tempDir, transportFor, type Protocol } from "./helpers.ts";

const CALLS = 200;
let dir: string;
let db: Database;
let server: RunningServer;
let queries: string[];
let expected: Map<string, number>;

beforeAll(async () => {
  dir = tempDir("musicfs-rpc-conc-");
  db = openCatalog(path.join(dir, "catalog.db"));
  const data = syntheticCatalog(3000);
  upsertTracks(db, data.tracks);
  const byType = queriesFor(data, CALLS / QUERY_TYPES.length);
  queries = QUERY_TYPES.flatMap((t) => byType[t]);
  expected = new Map(queries.map((q) => [q, search(db, q, { limit: 0 }).total]));
  server = await startServer({ listen: "127.0.0.1:0", services: (r) => registerMusicfsServices(r, { backend: catalogBackend(db) }) });
});

afterAll(async () => {
  await server?.close();
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function fire(call: (q: string, i: number) => Promise<{ totalMatches: bigint }>) {
  const results = await Promise.allSettled(queries.map((q, i) => call(q, i)));
  const failed = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
  expect(failed).toEqual([]);
  results.forEach((r, i) => expect(Number((r as PromiseFulfilledResult<{ totalMatches: bigint }>).value.totalMatches)).toBe(expected.get(queries[i])!));
}

describe(`${CALLS} concurrent Search calls`, () => {
  test("the queries cover every type and match something", () => {
    expect(queries.length).toBe(CALLS);
    expect([...expected.values()].filter((n) => n > 0).length).toBeGreaterThan(CALLS / 2);
  });

  test("multiplexed on one HTTP/2 connection (gRPC)", async () => {
    const c = clientFor(MusicFS, server.address, "grpc");
    await fire((q) => c.search({ query: q, limit: 20 }));
  });

  test("each on its own connection (gRPC)", async () => {
    const clients = queries.map(() => clientFor(MusicFS, server.address, "grpc"));
    await fire((q, i) => clients[i].search({ query: q, limit: 20 }));
  });

  test("mixed protocols at once: gRPC, gRPC-Web and Connect over HTTP/1.1 and HTTP/2", async () => {
    const protocols: Protocol[] = ["grpc", "grpc-web", "connect-h1", "connect-h2", "grpc-web-h1"];
    const clients = protocols.map((p) => createClient(MusicFS, transportFor(server.address, p)));
    await fire((q, i) => clients[i % clients.length].search({ query: q, limit: 20 }));
  });
});
