// The RPC services over the real catalog: a generated sample library, scanned into bun:sqlite.
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
  server = await startServer({ listen: "127.0.0.1:0", services: (r) => registerMusicfsServices(r, { backend: catalogBackend(db, null) }) });
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
});
