// One port, every protocol and client: curl (Connect JSON over HTTP/1.1 and h2c), connect-node's
// gRPC, gRPC-Web and Connect transports (in this process and in a child process), Python grpcio
// from Debian, and the same over a Unix socket.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import * as fs from "node:fs";
import * as path from "node:path";
import { MusicFS } from "../../proto/gen/musicfs/v1/musicfs_pb.ts";
import { BUN, clientFor, connectJsonArgs, curl, haveCurl, REPO, startTestServer, tempDir, type Protocol, type TestServer } from "./helpers.ts";

let tcp: TestServer;
let unix: TestServer;
let dir: string;

beforeAll(async () => {
  dir = tempDir("musicfs-rpc-");
  tcp = await startTestServer();
  unix = await startTestServer({ listen: `unix:${path.join(dir, "musicfs.sock")}` });
});

afterAll(async () => {
  await Promise.all([tcp?.close(), unix?.close()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

const PROTOCOLS: Protocol[] = ["grpc", "grpc-web", "grpc-web-h1", "connect-h1", "connect-h2"];

describe("connect-node clients in this process", () => {
  for (const where of ["tcp", "unix"] as const) {
    for (const protocol of PROTOCOLS) {
      test(`${protocol} over ${where}: Search, SearchStream, GetStatus, an error`, async () => {
        const server = where === "tcp" ? tcp : unix;
        const c = clientFor(MusicFS, server.address, protocol);
        const r = await c.search({ query: "metallica", limit: 5, offset: 2 });
        expect(r.results).toHaveLength(5);
        expect(r.totalMatches).toBe(200n); // every 5th of 1000 fake tracks
        expect(r.results[0].artist).toBe("Metallica");
        expect(r.results[0].virtualPath).toStartWith("/Metallica/");
        const streamed: bigint[] = [];
        for await (const hit of c.searchStream({ query: "metallica", limit: 7 })) streamed.push(hit.fileId);
        expect(streamed).toEqual([5n, 10n, 15n, 20n, 25n, 30n, 35n]);
        const st = await c.getStatus({});
        expect(st.filesIndexed).toBe(1000n);
        const err = await c.search({ query: "" }).catch((e) => ConnectError.from(e));
        expect(err).toBeInstanceOf(ConnectError);
        expect((err as ConnectError).code).toBe(Code.InvalidArgument);
      });
    }
  }

  test("SearchStream pages through more hits than one backend page", async () => {
    const c = clientFor(MusicFS, tcp.address, "grpc");
    let n = 0;
    for await (const _ of c.searchStream({ query: "song", limit: 1200 })) n++;
    expect(n).toBe(1000);
  });
});

describe("connect-node clients in a child process", () => {
  for (const protocol of ["grpc", "grpc-web-h1"] as const) {
    test(protocol, async () => {
      const p = Bun.spawn([BUN, path.join(import.meta.dir, "grpc-client.ts"), tcp.address, protocol], { stdout: "pipe", stderr: "pipe", cwd: REPO });
      const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      expect(err).toBe("");
      expect(code).toBe(0);
      const r = JSON.parse(out);
      expect(r.search).toEqual({ n: 2, total: 200, first: "/Björk/Album 1/0001 Song 1.flac" });
      expect(r.stream).toEqual([1, 6, 11]);
      expect(r.empty).toEqual([Code.InvalidArgument, "Query cannot be empty"]);
      expect(r.status.filesIndexed).toBe(1000);
    });
  }
});

describe.skipIf(!haveCurl)("curl", () => {
  test("Connect JSON over HTTP/1.1", async () => {
    const r = await curl(connectJsonArgs(tcp.address, "musicfs.v1.MusicFS/Search", { query: "portishead", limit: 2 }));
    expect(r.status).toBe(200);
    expect(r.httpVersion).toBe("1.1");
    const body = JSON.parse(r.body);
    expect(body.results).toHaveLength(2);
    expect(body.totalMatches).toBe("200"); // uint64 is a string in proto3 JSON
  });

  test("Connect JSON over h2c (prior knowledge)", async () => {
    const r = await curl(connectJsonArgs(tcp.address, "musicfs.v1.MusicFS/GetStatus", {}, ["--http2-prior-knowledge"]));
    expect(r.status).toBe(200);
    expect(r.httpVersion).toBe("2");
    expect(JSON.parse(r.body).filesIndexed).toBe("1000");
  });

  test("Connect JSON over the Unix socket, both HTTP versions", async () => {
    for (const extra of [[], ["--http2-prior-knowledge"]]) {
      const r = await curl(connectJsonArgs(unix.address, "musicfs.v1.MusicFS/Search", { query: "daft punk", limit: 1 }, extra));
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).results[0].artist).toBe("Daft Punk");
    }
  });

  test("errors as Connect JSON: code and message", async () => {
    const r = await curl(connectJsonArgs(tcp.address, "musicfs.v1.MusicFS/Search", { query: "x", limit: 10001 }));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ code: "invalid_argument", message: "Limit exceeds maximum (10000)" });
  });

  test("GET /healthz on TCP and the Unix socket", async () => {
    const a = await curl([`${tcp.address}/healthz`]);
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ status: "SERVING" });
    const b = await curl(["--unix-socket", unix.address.slice(5), "http://localhost/healthz"]);
    expect(b.status).toBe(200);
    const c = await curl([`${tcp.address}/nope`]);
    expect(c.status).toBe(404);
  });
});

// Debian's python3-grpcio is the other-language client (gRPC C-core). CI installs it; elsewhere
// the test says why it is skipped.
const PY = "/usr/bin/python3";
const pyCheck = fs.existsSync(PY) ? Bun.spawnSync([PY, "-c", "import grpc, google.protobuf"]) : null;
const pyReason = !pyCheck ? `${PY} not found` : pyCheck.exitCode !== 0 ? "python3-grpcio is not installed (apt-get install python3-grpcio)" : null;
if (pyReason) console.log(`skipping Python grpcio client tests: ${pyReason}`);

describe.skipIf(pyReason !== null)("python grpcio client", () => {
  let descriptors: string;
  beforeAll(() => {
    descriptors = path.join(dir, "musicfs.binpb");
    const b = Bun.spawnSync([path.join(REPO, "node_modules/.bin/buf"), "build", "--path", "musicfs/v1", "-o", descriptors], { cwd: path.join(REPO, "proto") });
    if (b.exitCode !== 0) throw new Error(`buf build failed: ${b.stderr.toString()}`);
  });

  for (const where of ["tcp", "unix"] as const) {
    test(`over ${where}`, async () => {
      const server = where === "tcp" ? tcp : unix;
      const target = server.address.replace("http://", "");
      const p = Bun.spawn([PY, path.join(import.meta.dir, "py_client.py"), target, descriptors], { stdout: "pipe", stderr: "pipe" });
      const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      if (code !== 0) throw new Error(`python client failed (${code}): ${err}`);
      const r = JSON.parse(out);
      expect(r.search).toEqual({ n: 3, total: 200, first: "/Metallica/Album 5/0005 Song 5.flac", artist: "Metallica" });
      expect(r.stream).toEqual([10, 15, 20, 25]);
      expect(r.errors.empty).toEqual(["INVALID_ARGUMENT", "Query cannot be empty"]);
      expect(r.errors.limit).toEqual(["INVALID_ARGUMENT", "Limit exceeds maximum (10000)"]);
      expect(r.errors.syntax).toEqual(["INVALID_ARGUMENT", "query syntax error at position 7: unterminated phrase"]);
      expect(r.errors.list_origins[0]).toBe("UNIMPLEMENTED");
      expect(r.status).toEqual({ version: expect.any(String), files_indexed: 1000 });
      expect(r.health).toBe("0801"); // SERVING
    });
  }
});
