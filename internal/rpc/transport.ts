// One listening socket that speaks HTTP/2 cleartext (gRPC, gRPC-Web, Connect) and HTTP/1.1
// (Connect, gRPC-Web, curl, /healthz) on the same port.
//
// Why not `http2.createServer({ allowHTTP1: true })`: under Bun 1.4 (and in Node for cleartext
// h2c) allowHTTP1 does not downgrade; an HTTP/1.1 request is answered with an HTTP/2 GOAWAY
// ("invalid connection preface"). So we accept the TCP/Unix connection ourselves, look at the
// first bytes, and hand the socket to the HTTP/2 server if they are the HTTP/2 client preface,
// to the HTTP/1.1 server otherwise. Both servers share one request handler.
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";

/** RFC 9113 §3.4: every HTTP/2 connection starts with these 24 bytes. */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
/** A connection that sends nothing identifiable within this time is dropped. */
const SNIFF_TIMEOUT_MS = 10_000;

export type RequestHandler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

export interface DualServer {
  readonly server: net.Server;
  /** Stops accepting, lets in-flight requests finish for up to graceMs, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

type Verdict = "h2" | "h1" | "more";

function sniff(head: Buffer): Verdict {
  const n = Math.min(head.length, H2_PREFACE.length);
  if (!head.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) return "h1";
  // "P" or "PR" could still be "POST"/"PRI": wait until the bytes decide.
  return n === H2_PREFACE.length ? "h2" : "more";
}

export function createDualServer(handler: RequestHandler, onError: (where: string, err: Error) => void): DualServer {
  const h2 = http2.createServer({}, handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  const h1 = http.createServer(handler as http.RequestListener);
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.Http2Session>();

  h2.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
    // A protocol error on one connection must not reach the process' "error" handler.
    s.on("error", (e) => onError("http2 session", e));
  });
  h2.on("sessionError", (e) => onError("http2 session", e));
  h1.on("clientError", (err, socket) => {
    // Malformed HTTP/1.1: answer 400 if the socket can still take it, never crash.
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    else socket.destroy();
    onError("http1 client", err);
  });

  const server = net.createServer((sock) => {
    // A reply is several small writes (HEADERS, DATA, trailers): never hold one back for an ACK.
    sock.setNoDelay(true);
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => sock.destroy());
    let buffered: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => sock.destroy(), SNIFF_TIMEOUT_MS);
    // Neither a silent client nor one that left early may keep the process alive.
    timer.unref();
    sock.once("close", () => clearTimeout(timer));
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const verdict = sniff(buffered);
      if (verdict === "more") return;
      clearTimeout(timer);
      sock.off("data", onData);
      sock.pause();
      // Give the bytes back so the chosen server parses the connection from its first byte.
      sock.unshift(buffered);
      (verdict === "h2" ? h2 : h1).emit("connection", sock);
      sock.resume();
    };
    sock.on("data", onData);
  });

  async function close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // HTTP/2: GOAWAY, then the session ends once its open streams are done.
    for (const s of sessions) s.close();
    // HTTP/1.1: idle keep-alive sockets go now, busy ones when their response ends.
    h1.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    while (sockets.size > 0 && Date.now() < deadline) {
      h1.closeIdleConnections();
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const s of sockets) s.destroy();
    await closed;
  }

  return { server, close };
}
