// startServer: one port (TCP or Unix socket) serving every registered Connect service as gRPC,
// gRPC-Web and Connect, plus grpc.health.v1 and GET /healthz.
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type Interceptor, type ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as fs from "node:fs";
import * as net from "node:net";
import { Health } from "../../proto/gen/grpc/health/v1/health_pb.ts";
import { bearerToken, tokenInterceptor, tokenMatches } from "./auth.ts";
import type { Metrics } from "./metrics.ts";
import { HealthState, healthService } from "./health.ts";
import { formatAddress, isLoopback, parseListen, type ListenAddress } from "./listen.ts";
import { createDualServer, type RequestHandler } from "./transport.ts";

/** One service and its implementation; build with defineService() to get the types checked. */
export interface ServiceRegistration<S extends DescService = DescService> {
  service: S;
  implementation: Partial<ServiceImpl<S>>;
}

export function defineService<S extends DescService>(service: S, implementation: Partial<ServiceImpl<S>>): ServiceRegistration<S> {
  return { service, implementation };
}

export interface StartServerOptions {
  /** "127.0.0.1:50051" (default in `musicfs serve`), "[::1]:0", "0.0.0.0:50051" (needs token), "unix:/run/musicfs.sock". */
  listen: string;
  /** Required for a non-loopback address; then every call but health checks must carry it. */
  token?: string;
  /** Registrations (any mix of services), or a function that registers on the router itself. */
  services: ServiceRegistration<any>[] | ((router: ConnectRouter) => void);
  /** Server log lines (ready, errors, optional access log); never contains the token. */
  log?: (line: string) => void;
  /** One log line per call: service/method, code, milliseconds. */
  accessLog?: boolean;
  /** How long close() lets in-flight calls finish before cutting connections. Default 5000. */
  shutdownGraceMs?: number;
  /** Largest accepted request message. Default 4 MiB; a search request is a few hundred bytes. */
  readMaxBytes?: number;
  /** Prometheus metrics: counts every call and serves GET /metrics (behind the token when there is one). */
  metrics?: Metrics;
  /** Permissions of a Unix socket. Default 0o600: only the owner may control the server. */
  unixSocketMode?: number;
}

export interface RunningServer {
  /** "http://127.0.0.1:50051" with the real port (also for port 0), or "unix:/path". */
  address: string;
  /** Flips health to NOT_SERVING, drains, closes; removes the Unix socket file. Idempotent. */
  close(): Promise<void>;
  health: HealthState;
}

const DEFAULT_READ_MAX_BYTES = 4 << 20;

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const addr = parseListen(opts.listen);
  const log = opts.log ?? (() => {});
  if (opts.token !== undefined && (opts.token === "" || /\s/.test(opts.token))) {
    throw new Error("the token must be non-empty and contain no whitespace");
  }
  if (!isLoopback(addr) && !opts.token) {
    throw new Error(`refusing to listen on ${opts.listen} without a token: set --token or MUSICFS_TOKEN (only loopback addresses and Unix sockets may run without one)`);
  }

  const health = new HealthState();
  const shutdown = new AbortController();
  const interceptors: Interceptor[] = [];
  if (opts.metrics) interceptors.push(opts.metrics.interceptor);
  if (opts.accessLog) interceptors.push(accessLogInterceptor(log));
  interceptors.push(internalErrorLogger(log));
  if (opts.token) interceptors.push(tokenInterceptor(opts.token));

  const handler = connectNodeAdapter({
    interceptors,
    readMaxBytes: opts.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
    shutdownSignal: shutdown.signal,
    routes: (router) => {
      if (typeof opts.services === "function") opts.services(router);
      else for (const r of opts.services) router.service(r.service, r.implementation);
      router.service(Health, healthService(health));
      health.setServices(new Set(router.handlers.map((h) => h.service.typeName)));
    },
    // Plain HTTP for probes and people: GET /healthz; anything else unknown is a JSON 404.
    fallback: (req, res) => {
      const path = (req.url ?? "").split("?")[0];
      if (path === "/healthz" && (req.method === "GET" || req.method === "HEAD")) {
        const ok = health.isServing;
        res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
        res.end(JSON.stringify({ status: ok ? "SERVING" : "NOT_SERVING" }) + "\n");
        return;
      }
      if (path === "/metrics" && opts.metrics && (req.method === "GET" || req.method === "HEAD")) {
        const presented = bearerToken(typeof req.headers.authorization === "string" ? req.headers.authorization : null);
        if (opts.token && (presented === null || !tokenMatches(presented, opts.token))) {
          res.writeHead(401, { "content-type": "application/json", "www-authenticate": "Bearer" });
          res.end(JSON.stringify({ code: "unauthenticated", message: "GET /metrics needs authorization: Bearer <token>" }) + "\n");
          return;
        }
        const registry = opts.metrics.registry;
        registry.metrics().then(
          (text) => {
            res.writeHead(200, { "content-type": registry.contentType });
            if (req.method === "HEAD") res.end();
            else res.end(text);
          },
          (e: Error) => {
            log(`metrics: ${e.message}`);
            res.writeHead(500, { "content-type": "text/plain" });
            res.end("metrics failed\n");
          },
        );
        return;
      }
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "not_found", message: `no route for ${req.method} ${path}` }) + "\n");
    },
  });

  const dual = createDualServer(handler as RequestHandler, (where, err) => log(`rpc: ${where}: ${err.message}`));
  if (addr.kind === "unix") await removeStaleSocket(addr.path);
  await listen(dual.server, addr);
  if (addr.kind === "unix") fs.chmodSync(addr.path, opts.unixSocketMode ?? 0o600);
  const bound = dual.server.address();
  const address = formatAddress(addr, typeof bound === "object" && bound ? bound.port : undefined);

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      const grace = opts.shutdownGraceMs ?? 5000;
      // Order matters: health flips first (Watch streams report NOT_SERVING and end by
      // themselves), unary calls in flight get to finish, and only long-lived streams still open
      // after a moment are told to stop through their handler context's signal.
      health.markShuttingDown();
      const stopStreams = setTimeout(() => shutdown.abort(new ConnectError("server is shutting down", Code.Unavailable)), Math.min(grace / 2, 1000));
      await dual.close(grace);
      clearTimeout(stopStreams);
      shutdown.abort(new ConnectError("server is shutting down", Code.Unavailable));
      if (addr.kind === "unix") fs.rmSync(addr.path, { force: true });
    })();
    return closing;
  };
  return { address, close, health };
}

function listen(server: net.Server, addr: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(new Error(`cannot listen on ${addr.kind === "unix" ? `unix:${addr.path}` : `${addr.host}:${addr.port}`}: ${e.message}`));
    server.once("error", onError);
    const done = () => {
      server.off("error", onError);
      resolve();
    };
    if (addr.kind === "unix") server.listen(addr.path, done);
    else server.listen(addr.port, addr.host, done);
  });
}

/**
 * A socket file left by a killed server blocks listen(); remove it only if nothing answers on it.
 * A regular file or a live server is left alone and reported.
 */
async function removeStaleSocket(path: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error(`cannot listen on unix:${path}: a file that is not a socket is in the way`);
  const alive = await new Promise<boolean>((resolve) => {
    const c = net.connect(path);
    c.once("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.once("error", () => resolve(false));
  });
  if (alive) throw new Error(`cannot listen on unix:${path}: another server is running there`);
  fs.rmSync(path, { force: true });
}

function accessLogInterceptor(log: (line: string) => void): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const name = `${req.service.typeName}/${req.method.name}`;
    try {
      const res = await next(req);
      // For server streams this marks the start of the stream, which is what a log reader expects.
      log(`rpc ${name} ok ${(performance.now() - started).toFixed(1)}ms`);
      return res;
    } catch (e) {
      const code = e instanceof ConnectError ? Code[e.code] : "internal";
      log(`rpc ${name} ${code} ${(performance.now() - started).toFixed(1)}ms`);
      throw e;
    }
  };
}

/** INTERNAL errors carry a cause that clients do not see; keep it in the server's log. */
function internalErrorLogger(log: (line: string) => void): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (e) {
      const ce = e instanceof ConnectError ? e : null;
      if (!ce || ce.code === Code.Internal || ce.code === Code.Unknown) {
        const cause = ce?.cause ?? e;
        log(`rpc ${req.service.typeName}/${req.method.name}: internal error: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
      }
      throw e;
    }
  };
}
