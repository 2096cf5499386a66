// Documented errors, Unimplemented stubs, token auth, health, and hostile or broken requests
// (the server must answer with a clean error and keep serving).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as path from "node:path";
import * as fs from "node:fs";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../proto/gen/grpc/health/v1/health_pb.ts";
import { MetadataService, MusicFS, SearchRequestSchema } from "../../proto/gen/musicfs/v1/musicfs_pb.ts";
import { startServer } from "../../internal/rpc/index.ts";
import { fakeBackend, makeTracks } from "./fake-backend.ts";
import { BUN, bearer, clientFor, connectJsonArgs, curl, haveCurl, startTestServer, tempDir, type TestServer } from "./helpers.ts";

const servers: TestServer[] = [];
async function server(opts: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const s = await startTestServer(opts);
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function codeOf(p: Promise<unknown>): Promise<[Code, string]> {
  try {
    await p;
  } catch (e) {
    const ce = ConnectError.from(e);
    return [ce.code, ce.rawMessage];
  }
  throw new Error("expected the call to fail");
}

async function drain(it: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of it);
}

let main: TestServer;
beforeAll(async () => {
  main = await server({ services: { backend: fakeBackend(makeTracks(100)), searchDeadlineMs: 200 } });
});

describe("Search errors (documented in the API)", () => {
  test("empty and blank queries → InvalidArgument", async () => {
    const c = clientFor(MusicFS, main.address, "grpc");
    expect(await codeOf(c.search({ query: "" }))).toEqual([Code.InvalidArgument, "Query cannot be empty"]);
    expect(await codeOf(c.search({ query: " \t\n" }))).toEqual([Code.InvalidArgument, "Query cannot be empty"]);
    expect(await codeOf(drain(c.searchStream({ query: "" })))).toEqual([Code.InvalidArgument, "Query cannot be empty"]);
  });

  test("limit 10001 → InvalidArgument; 10000 and unset (100) are fine", async () => {
    const c = clientFor(MusicFS, main.address, "connect-h1");
    expect(await codeOf(c.search({ query: "song", limit: 10001 }))).toEqual([Code.InvalidArgument, "Limit exceeds maximum (10000)"]);
    expect((await c.search({ query: "song", limit: 10000 })).results).toHaveLength(100);
    const big = await server({ tracks: 250 });
    const d = clientFor(MusicFS, big.address, "grpc");
    expect((await d.search({ query: "song" })).results).toHaveLength(100); // default limit
    expect((await d.search({ query: "song", limit: 0 })).totalMatches).toBe(250n); // count only
  });

  test("syntax error → InvalidArgument with the position in the original query", async () => {
    const c = clientFor(MusicFS, main.address, "grpc-web");
    expect(await codeOf(c.search({ query: 'album:"Master of' }))).toEqual([Code.InvalidArgument, "query syntax error at position 6: unterminated phrase"]);
    // Leading blanks are trimmed before parsing but the position still points into what was sent.
    expect(await codeOf(c.search({ query: '   a "b' }))).toEqual([Code.InvalidArgument, "query syntax error at position 5: unterminated phrase"]);
  });

  test("a search past the server's deadline → DeadlineExceeded (Search and SearchStream)", async () => {
    const c = clientFor(MusicFS, main.address, "grpc");
    const [code, msg] = await codeOf(c.search({ query: "hang" }));
    expect(code).toBe(Code.DeadlineExceeded);
    expect(msg).toContain("deadline");
    expect((await codeOf(drain(c.searchStream({ query: "hang" }))))[0]).toBe(Code.DeadlineExceeded);
  });

  test("the client's own shorter deadline → DeadlineExceeded", async () => {
    const slow = await server({ services: { backend: fakeBackend(makeTracks(10)) } }); // 5 s server budget
    const c = clientFor(MusicFS, slow.address, "grpc");
    expect((await codeOf(c.search({ query: "hang" }, { timeoutMs: 100 })))[0]).toBe(Code.DeadlineExceeded);
  });

  test("a backend failure → Internal without internals in the message; the cause goes to the log", async () => {
    const c = clientFor(MusicFS, main.address, "connect-h2");
    const [code, msg] = await codeOf(c.search({ query: "boom" }));
    expect(code).toBe(Code.Internal);
    expect(msg).not.toContain("secret.db");
    expect(main.logs.some((l) => l.includes("disk I/O error in /var/lib/secret.db"))).toBe(true);
  });

  test("no catalog loaded → Unavailable", async () => {
    const bare = await server({ services: {} });
    const c = clientFor(MusicFS, bare.address, "grpc");
    expect((await codeOf(c.search({ query: "x" })))[0]).toBe(Code.Unavailable);
    expect((await c.getStatus({})).filesIndexed).toBe(0n);
  });
});

describe("Unimplemented subsystems say so", () => {
  test("MusicFS cache, origins and events methods", async () => {
    const c = clientFor(MusicFS, main.address, "grpc");
    const calls: [string, Promise<unknown>][] = [
      ["GetCacheStats", c.getCacheStats({})],
      ["ClearCache", c.clearCache({ clearChunks: true })],
      ["Prefetch", drain(c.prefetch({ paths: ["/a"] }))],
      ["ListOrigins", c.listOrigins({})],
      ["GetOriginHealth", c.getOriginHealth({ originId: "local" })],
      ["RescanOrigin", drain(c.rescanOrigin({ originId: "local" }))],
      ["SubscribeEvents", drain(c.subscribeEvents({}))],
    ];
    for (const [name, p] of calls) {
      const [code, msg] = await codeOf(p);
      expect(code).toBe(Code.Unimplemented);
      expect(msg).toStartWith(`${name} is not available: `);
    }
  });

  test("MetadataService overlay methods; GetMetadata is a real lookup", async () => {
    const c = clientFor(MetadataService, main.address, "connect-h1");
    for (const p of [c.updateMetadata({ fileId: 1n, title: "x" }), c.clearOverlay({ fileId: 1n }), drain(c.batchUpdateMetadata({})), drain(c.importMetadata({ sourcePath: "/x.csv" }))]) {
      const [code, msg] = await codeOf(p);
      expect(code).toBe(Code.Unimplemented);
      expect(msg).toContain("metadata overlay");
    }
    const t = makeTracks(100)[41];
    const m = await c.getMetadata({ virtualPath: t.path });
    expect({ id: m.fileId, title: m.title, artist: m.artist, year: m.year, format: m.format }).toEqual({ id: 42n, title: t.title, artist: t.artist, year: t.year, format: "flac" });
    expect((await codeOf(c.getMetadata({ virtualPath: "/no/such.flac" })))[0]).toBe(Code.NotFound);
  });

  test("Shutdown over loopback TCP without a token → PermissionDenied, and nothing stops", async () => {
    let stopped = false;
    const s = await server({ services: { onShutdown: () => (stopped = true), allowShutdown: false } });
    const c = clientFor(MusicFS, s.address, "grpc");
    expect((await codeOf(c.shutdown({ graceful: true })))[0]).toBe(Code.PermissionDenied);
    expect(stopped).toBe(false);
  });
});

describe("token auth", () => {
  const TOKEN = "0123-not-a-number-s3cret";
  let s: TestServer;
  beforeAll(async () => {
    s = await server({ token: TOKEN });
  });

  test("missing or wrong token → Unauthenticated on every protocol; the right one works", async () => {
    for (const protocol of ["grpc", "grpc-web-h1", "connect-h1"] as const) {
      expect(await codeOf(clientFor(MusicFS, s.address, protocol).getStatus({}))).toEqual([Code.Unauthenticated, "missing bearer token (send the header authorization: Bearer <token>)"]);
      expect(await codeOf(clientFor(MusicFS, s.address, protocol, [bearer("wrong")]).getStatus({}))).toEqual([Code.Unauthenticated, "invalid bearer token"]);
      expect(await codeOf(clientFor(MusicFS, s.address, protocol, [bearer(TOKEN + "x")]).search({ query: "a" }))).toEqual([Code.Unauthenticated, "invalid bearer token"]);
      expect((await clientFor(MusicFS, s.address, protocol, [bearer(TOKEN)]).search({ query: "song", limit: 1 })).results).toHaveLength(1);
    }
  });

  test("health checks need no token", async () => {
    const h = clientFor(Health, s.address, "grpc");
    expect((await h.check({ service: "" })).status).toBe(Serving.SERVING);
  });

  test.skipIf(!haveCurl)("curl without and with the header", async () => {
    const no = await curl(connectJsonArgs(s.address, "musicfs.v1.MusicFS/GetStatus", {}));
    expect(no.status).toBe(401);
    expect(JSON.parse(no.body).code).toBe("unauthenticated");
    const yes = await curl(connectJsonArgs(s.address, "musicfs.v1.MusicFS/GetStatus", {}, ["-H", `authorization: Bearer ${TOKEN}`]));
    expect(yes.status).toBe(200);
  });

  test("the token never appears in the server log", () => {
    expect(s.logs.length).toBeGreaterThan(0);
    expect(s.logs.some((l) => l.includes(TOKEN))).toBe(false);
  });

  test("a non-loopback address without a token is refused; with one it binds", async () => {
    await expect(startServer({ listen: "0.0.0.0:0", services: [] })).rejects.toThrow(/without a token/);
    await expect(startServer({ listen: ":0", services: [] })).rejects.toThrow(/without a token/);
    const ok = await startServer({ listen: "0.0.0.0:0", token: TOKEN, services: [] });
    expect(ok.address).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    await ok.close();
  });
});

describe("health", () => {
  test("Check, List, unknown service", async () => {
    const h = clientFor(Health, main.address, "grpc");
    expect((await h.check({ service: "" })).status).toBe(Serving.SERVING);
    expect((await h.check({ service: "musicfs.v1.MusicFS" })).status).toBe(Serving.SERVING);
    expect((await h.check({ service: "musicfs.v1.MetadataService" })).status).toBe(Serving.SERVING);
    expect((await codeOf(h.check({ service: "no.such.Service" })))[0]).toBe(Code.NotFound);
    expect(Object.keys((await h.list({})).statuses).sort()).toEqual(["", "grpc.health.v1.Health", "musicfs.v1.MetadataService", "musicfs.v1.MusicFS"]);
  });

  test("Watch sees NOT_SERVING when the server shuts down, then close() completes", async () => {
    const s = await startTestServer();
    const h = clientFor(Health, s.address, "grpc");
    const seen: Serving[] = [];
    const watching = (async () => {
      try {
        for await (const m of h.watch({ service: "" })) {
          seen.push(m.status);
          if (seen.length === 1) void s.close();
        }
      } catch {
        // The stream may also end with Unavailable as the server goes away.
      }
    })();
    await watching;
    await s.close();
    expect(seen[0]).toBe(Serving.SERVING);
    expect(seen.at(-1)).toBe(Serving.NOT_SERVING);
  });
});

describe("broken and hostile requests get a clean error; the server keeps serving", () => {
  async function stillServing(s: TestServer): Promise<void> {
    const r = await clientFor(MusicFS, s.address, "grpc").search({ query: "song", limit: 1 });
    expect(r.results).toHaveLength(1);
  }

  test.skipIf(!haveCurl)("Connect: truncated JSON, wrong JSON types, garbage protobuf", async () => {
    const cases: [string, string[]][] = [
      ['{"query": "abc', []],
      ['{"query": 12, "limit": "lots"}', []],
      ["\x0a\xff\xff\xff\xff\x0f", ["-H", "content-type: application/proto"]],
    ];
    for (const [body, extra] of cases) {
      const args = connectJsonArgs(main.address, "musicfs.v1.MusicFS/Search", body, []);
      if (extra.length) args.splice(0, 2, ...extra); // replace the JSON content type
      const r = await curl(args);
      const err = JSON.parse(r.body);
      // Connect-ES reports undecodable JSON as invalid_argument but undecodable binary as
      // internal (as grpc-go does); either way a coded error with a message, not a hang or crash.
      expect(["invalid_argument", "internal"]).toContain(err.code);
      expect(r.status).toBe(err.code === "invalid_argument" ? 400 : 500);
      expect(err.message).toMatch(/decode|parse/);
    }
    await stillServing(main);
  });

  test("gRPC: a frame that promises more bytes than arrive, and a garbage message", async () => {
    const session = http2.connect(main.address);
    session.on("error", () => {});
    const call = (payload: Uint8Array) =>
      new Promise<{ status: string | undefined; message: string | undefined }>((resolve, reject) => {
        const req = session.request({ ":method": "POST", ":path": "/musicfs.v1.MusicFS/Search", "content-type": "application/grpc", te: "trailers" });
        let headers: http2.IncomingHttpHeaders = {};
        req.on("response", (h) => (headers = h));
        req.on("trailers", (t) => resolve({ status: String(t["grpc-status"]), message: String(t["grpc-message"]) }));
        req.on("end", () => resolve({ status: headers["grpc-status"] as string | undefined, message: headers["grpc-message"] as string | undefined }));
        req.on("error", reject);
        req.resume();
        req.end(payload);
      });
    const good = toBinary(SearchRequestSchema, create(SearchRequestSchema, { query: "song" }));
    // Header says 100 bytes, only the real message (fewer bytes) follows, then end of stream.
    const truncated = new Uint8Array([0, 0, 0, 0, 100, ...good]);
    const r1 = await call(truncated);
    expect(r1.status).not.toBe("0");
    expect(r1.status).toBeDefined();
    // A well-framed message whose bytes are not a SearchRequest.
    const junk = new Uint8Array([0, 0, 0, 0, 4, 0x0a, 0xff, 0xff, 0xff]);
    const r2 = await call(junk);
    expect([String(Code.InvalidArgument), String(Code.Internal)]).toContain(r2.status ?? "none");
    expect(r2.message).toMatch(/parse|premature|invalid/i);
    session.close();
    await stillServing(main);
  });

  test("a request larger than the 4 MiB message limit → ResourceExhausted", async () => {
    const c = clientFor(MusicFS, main.address, "grpc");
    expect((await codeOf(c.search({ query: "x".repeat(5 << 20) })))[0]).toBe(Code.ResourceExhausted);
    // Just under the limit, but over the query length cap: still a clean InvalidArgument.
    expect((await codeOf(c.search({ query: "x".repeat(8192) })))[0]).toBe(Code.InvalidArgument);
    await stillServing(main);
  });

  test("raw garbage, a bare HTTP/2 preface, and a connection cut mid-request", async () => {
    const [host, port] = main.address.replace("http://", "").split(":");
    const send = (bytes: string | Uint8Array, waitForClose = true) =>
      new Promise<string>((resolve) => {
        const sock = net.connect(Number(port), host);
        let got = "";
        sock.on("data", (d) => (got += d.toString("latin1")));
        sock.on("close", () => resolve(got));
        sock.on("error", () => resolve(got));
        sock.write(bytes);
        if (!waitForClose) setTimeout(() => sock.destroy(), 50);
      });
    expect(await send("\x16\x03\x01\x02\x00garbage that is not HTTP\r\n\r\n")).toStartWith("HTTP/1.1 400");
    // The preface, then a SETTINGS frame of 5 bytes (must be a multiple of 6): a connection
    // error, so the server sends GOAWAY (type 7) with FRAME_SIZE_ERROR (6) and closes.
    const goaway = Buffer.from(await send(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Buffer.from([0, 0, 5, 4, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5])])), "latin1");
    expect(goaway.includes(Buffer.from([0x07, 0, 0, 0, 0, 0]))).toBe(true);
    await send("POST /musicfs.v1.MusicFS/Search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query\":", false);
    await stillServing(main);
  });
});

describe("Unix socket", () => {
  test("is owner-only, refuses to take over a live socket, replaces a stale one", async () => {
    const dir = tempDir("musicfs-sock-");
    const sock = path.join(dir, "s.sock");
    const a = await startTestServer({ listen: `unix:${sock}` });
    expect(fs.statSync(sock).mode & 0o777).toBe(0o600);
    await expect(startTestServer({ listen: `unix:${sock}` })).rejects.toThrow(/another server is running/);
    await a.close();
    expect(fs.existsSync(sock)).toBe(false);
    // A stale socket file, as a server killed with SIGKILL leaves it, is replaced.
    const child = Bun.spawn([BUN, "-e", `require("net").createServer().listen(${JSON.stringify(sock)}, () => console.log("up"))`], { stdout: "pipe" });
    const reader = child.stdout.getReader();
    await reader.read();
    child.kill("SIGKILL");
    await child.exited;
    expect(fs.lstatSync(sock).isSocket()).toBe(true);
    const b = await startTestServer({ listen: `unix:${sock}` });
    expect((await clientFor(MusicFS, b.address, "connect-h1").getStatus({})).version).not.toBe("");
    await b.close();
    // A regular file in the way is never deleted.
    fs.writeFileSync(sock, "precious");
    await expect(startTestServer({ listen: `unix:${sock}` })).rejects.toThrow(/not a socket/);
    expect(fs.readFileSync(sock, "utf8")).toBe("precious");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("Shutdown over the Unix socket is allowed and runs the callback", async () => {
    const dir = tempDir("musicfs-sock-");
    let asked = null as { graceful: boolean; timeoutSecs: number } | null;
    const s = await startTestServer({ listen: `unix:${path.join(dir, "s.sock")}`, services: { allowShutdown: true, onShutdown: (r) => (asked = r) } });
    await clientFor(MusicFS, s.address, "grpc").shutdown({ graceful: true, timeoutSecs: 3 });
    // The callback runs just after the reply is sent; wait for it without assuming how long.
    for (let i = 0; i < 200 && asked === null; i++) await new Promise((r) => setTimeout(r, 10));
    expect(asked).toEqual({ graceful: true, timeoutSecs: 3 });
    await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
