// Shared pieces of the RPC tests: servers on port 0, curl, Connect clients for each protocol.
import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { registerMusicfsServices, startServer, type MusicfsServiceOptions, type RunningServer } from "../../internal/rpc/index.ts";
import { fakeBackend, makeTracks } from "./fake-backend.ts";

export const REPO = path.resolve(import.meta.dir, "../..");
export const BUN = process.execPath;

export interface TestServer extends RunningServer {
  logs: string[];
}

export async function startTestServer(opts: { listen?: string; token?: string; services?: MusicfsServiceOptions; tracks?: number } = {}): Promise<TestServer> {
  const logs: string[] = [];
  const services: MusicfsServiceOptions = opts.services ?? { backend: fakeBackend(makeTracks(opts.tracks ?? 1000)) };
  const s = await startServer({
    listen: opts.listen ?? "127.0.0.1:0",
    token: opts.token,
    services: (router) => registerMusicfsServices(router, services),
    log: (l) => logs.push(l),
    accessLog: true,
    shutdownGraceMs: 1000,
  });
  return Object.assign(s, { logs });
}

export type Protocol = "grpc" | "grpc-web" | "connect-h1" | "connect-h2" | "grpc-web-h1";

/** A transport for `address` (http://host:port or unix:/path) speaking `protocol`. */
export function transportFor(address: string, protocol: Protocol, interceptors: Interceptor[] = []): Transport {
  const unix = address.startsWith("unix:") ? address.slice(5) : null;
  const baseUrl = unix ? "http://localhost" : address;
  // HTTP/2 sessions dial through createConnection; HTTP/1.1 requests take socketPath.
  const h2opts = unix ? { nodeOptions: { createConnection: () => net.connect(unix) } } : {};
  const h1opts = unix ? { nodeOptions: { socketPath: unix } } : {};
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl, interceptors, ...(h2opts as object) });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "2", interceptors, ...(h2opts as object) });
    case "grpc-web-h1":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors, ...h1opts });
    case "connect-h1":
      return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors, ...h1opts });
    case "connect-h2":
      return createConnectTransport({ baseUrl, httpVersion: "2", interceptors, ...(h2opts as object) });
  }
}

export function clientFor<S extends DescService>(service: S, address: string, protocol: Protocol, interceptors: Interceptor[] = []): Client<S> {
  return createClient(service, transportFor(address, protocol, interceptors));
}

export function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

export const haveCurl = Bun.which("curl") !== null;

export interface CurlResult {
  status: number;
  httpVersion: string;
  body: string;
  /** Response headers and (for HTTP/2) trailers, lower-cased names. */
  headers: string;
}

/** Runs curl and splits out the status line it was told to print with -w. */
export async function curl(args: string[], stdin?: Uint8Array): Promise<CurlResult> {
  const headerFile = path.join(os.tmpdir(), `musicfs-curl-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const p = Bun.spawn(["curl", "-sS", "-D", headerFile, "-w", "\n%{http_code} %{http_version}", ...args], {
    stdin: stdin ?? "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  const headers = fs.existsSync(headerFile) ? fs.readFileSync(headerFile, "utf8").toLowerCase() : "";
  fs.rmSync(headerFile, { force: true });
  if (code !== 0) throw new Error(`curl ${args.join(" ")} failed (${code}): ${err}`);
  const i = out.lastIndexOf("\n");
  const [status, httpVersion] = out.slice(i + 1).split(" ");
  return { status: Number(status), httpVersion, body: out.slice(0, i), headers };
}

/** curl arguments for a Connect JSON call to `address` (TCP or unix:). */
export function connectJsonArgs(address: string, method: string, body: unknown, extra: string[] = []): string[] {
  const unix = address.startsWith("unix:") ? address.slice(5) : null;
  const base = unix ? "http://localhost" : address;
  return [
    ...(unix ? ["--unix-socket", unix] : []),
    "-H",
    "content-type: application/json",
    "-H",
    "connect-protocol-version: 1",
    "--data-binary",
    typeof body === "string" ? body : JSON.stringify(body),
    ...extra,
    `${base}/${method}`,
  ];
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
