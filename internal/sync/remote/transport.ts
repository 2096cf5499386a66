// The client's Connect transport to a `musicfs serve`: HTTP/2 cleartext, binary protobuf, a bearer
// token when given, and a byte count of everything on the TCP connection (HTTP/2 framing and
// headers included), so a sync can report what really crossed the wire.
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type * as http2 from "node:http2";
import { SyncService } from "../../../proto/gen/musicfs/sync/v1/sync_pb.ts";

export interface WireCounter {
  sent(): number;
  received(): number;
}

export interface SyncClient {
  client: Client<typeof SyncService>;
  wire: WireCounter;
  close(): void;
}

/**
 * Counts the bytes of its requests. Sent: the HTTP/2 session's socket counter (all frames,
 * headers included). Received: Bun's client socket view does not count reads, so it is the
 * response bodies plus header names and values (uncompressed, so an upper bound of the HPACK
 * bytes) plus a 9-byte frame header per data event.
 */
class CountingSessionManager extends Http2SessionManager {
  readonly sessions = new Set<http2.ClientHttp2Session>();
  private received = 0;
  override async request(method: string, path: string, headers: http2.OutgoingHttpHeaders, options: Omit<http2.ClientSessionRequestOptions, "signal">): Promise<http2.ClientHttp2Stream> {
    const stream = await super.request(method, path, headers, options);
    this.sessions.add(stream.session as http2.ClientHttp2Session);
    const countHeaders = (h: http2.IncomingHttpHeaders) => {
      for (const [k, v] of Object.entries(h)) this.received += k.length + String(v).length + 2;
    };
    stream.on("response", countHeaders);
    stream.on("trailers", countHeaders);
    stream.on("data", (d: Uint8Array) => {
      this.received += d.length + 9;
    });
    return stream;
  }
  sent(): number {
    let n = 0;
    for (const s of this.sessions) n += (s.socket as unknown as { bytesWritten?: number } | undefined)?.bytesWritten ?? 0;
    return n;
  }
  read(): number {
    return this.received;
  }
}

export function connectSync(baseUrl: string, token?: string): SyncClient {
  const interceptors: Interceptor[] = [];
  if (token) {
    interceptors.push((next) => async (req) => {
      req.header.set("authorization", `Bearer ${token}`);
      return next(req);
    });
  }
  const sessionManager = new CountingSessionManager(baseUrl);
  const transport = createConnectTransport({
    baseUrl,
    httpVersion: "2",
    useBinaryFormat: true,
    interceptors,
    sessionManager,
    // Runs and manifest batches stay far below this; it only bounds a misbehaving peer.
    readMaxBytes: 80 << 20,
    writeMaxBytes: 80 << 20,
  });
  // Counters are read before close, while the sockets still exist.
  let final: { sent: number; received: number } | null = null;
  return {
    client: createClient(SyncService, transport),
    wire: {
      sent: () => final?.sent ?? sessionManager.sent(),
      received: () => final?.received ?? sessionManager.read(),
    },
    close: () => {
      final = { sent: sessionManager.sent(), received: sessionManager.read() };
      sessionManager.abort();
    },
  };
}
