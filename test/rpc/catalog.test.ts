// The RPC services over the real catalog and search engine: a generated sample library scanned
// into bun:sqlite, queried through internal/search (FTS5).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { Code, ConnectError } from "@connectrpc/connect";
import * as fs from "node:fs";
import * as path from "node:path";
import { openCatalog, scanLibrary } from "../../internal/catalog/index.ts";
import { catalogBackend, registerMusicfsServices, startServer, type RunningServer } from "../../internal/rpc/index.ts";
import { generateLibrary, type GeneratedFile } from "../../internal/samplelib/index.ts";
import { MetadataService, MusicFS } from "../../proto/gen/musicfs/v1/musicfs_pb.ts";
import { clientFor, tempDir } from "./helpers.ts";

let dir: string;
let db: Database;
let files: GeneratedFile[];
let server: RunningServer;

beforeAll(async () => {
  dir = tempDir("musicfs-rpc-catalog-");
  files = generateLibrary(path.join(dir, "lib"));
  db = openCatalog(path.join(dir, "catalog.db"));
  await scanLibrary(db, [path.join(dir, "lib")]);
  server = await startServer({ listen: "127.0.0.1:0", services: (r) => registerMusicfsServices(r, { backend: catalogBackend(db) }) });
});

afterAll(async () => {
  await server?.close();
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("real catalog", () => {
  test("GetStatus counts the cataloged tracks", async () => {
    const st = await clientFor(MusicFS, server.address, "grpc").getStatus({});
    expect(st.filesIndexed).toBe(BigInt(files.length));
  });

  test("GetMetadata returns a track's tags by its path", async () => {
    const f = files.find((x) => !x.malformed && !x.hostile && x.format === "flac")!;
    const m = await clientFor(MetadataService, server.address, "connect-h1").getMetadata({ virtualPath: f.path });
    expect(m.title).toBe(f.tags.title ?? undefined);
    expect(m.artist).toBe(f.tags.artist ?? undefined);
    expect(m.album).toBe(f.tags.album ?? undefined);
    expect(m.format).toBe("flac");
    expect(m.fileId).toBeGreaterThan(0n);
    const missing = await clientFor(MetadataService, server.address, "grpc")
      .getMetadata({ virtualPath: path.join(dir, "lib", "nope.flac") })
      .catch((e) => ConnectError.from(e));
    expect((missing as ConnectError).code).toBe(Code.NotFound);
  });

  test("Search through every protocol: diacritic-folded artist, fields, ranking scores", async () => {
    const want = files.filter((f) => !f.malformed && f.tags.artist === "Björk").length;
    expect(want).toBeGreaterThan(0);
    for (const protocol of ["grpc", "grpc-web-h1", "connect-h2"] as const) {
      const c = clientFor(MusicFS, server.address, protocol);
      const r = await c.search({ query: "bjork", limit: 100 });
      expect(Number(r.totalMatches)).toBeGreaterThanOrEqual(want);
      expect(r.results.some((h) => h.artist === "Björk")).toBe(true);
      expect(r.results[0].virtualPath).toStartWith(path.join(dir, "lib"));
      expect(r.results[0].score).toBeGreaterThan(0);
    }
    const byField = await clientFor(MusicFS, server.address, "grpc").search({ query: 'artist:"Björk"' });
    expect(byField.results.every((h) => h.artist === "Björk")).toBe(true);
  });

  test("SearchStream pages the real index; offset and limit apply", async () => {
    const c = clientFor(MusicFS, server.address, "grpc");
    const all = await c.search({ query: "bjork", limit: 100 });
    const streamed: bigint[] = [];
    for await (const h of c.searchStream({ query: "bjork", offset: 1, limit: 3 })) streamed.push(h.fileId);
    expect(streamed).toEqual(all.results.slice(1, 4).map((h) => h.fileId));
  });

  test("the real parser's syntax errors → InvalidArgument with its position", async () => {
    const c = clientFor(MusicFS, server.address, "connect-h1");
    for (const [query, pos] of [['artist:"Björk', 7], ["(metal", 0], ["year:[1990 TO", 13]] as const) {
      const err = await c.search({ query }).catch((e) => ConnectError.from(e));
      expect((err as ConnectError).code).toBe(Code.InvalidArgument);
      expect((err as ConnectError).rawMessage).toStartWith(`query syntax error at position ${pos}: `);
    }
  });

  test("origin_id: the catalog's own origin matches, another one matches nothing", async () => {
    const c = clientFor(MusicFS, server.address, "grpc");
    expect((await c.search({ query: "bjork", originId: "local" })).totalMatches).toBeGreaterThan(0n);
    expect((await c.search({ query: "bjork", originId: "s3-backup" })).totalMatches).toBe(0n);
  });
});
