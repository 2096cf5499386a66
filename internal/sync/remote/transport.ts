// The client's Connect transport to a `musicfs serve`: HTTP/2 cleartext, binary protobuf, a bearer
// token when given, and a byte count of everything on the TCP connection (HTTP/2 framing and
// headers included), so a sync can report what really crossed the wire.
import { toBinary } from "@bufbuild/protobuf";
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
 * Remembers the HTTP/2 sessions its requests run on, to read their socket's byte counter (all
 * frames sent, headers included).
 */
class CountingSessionManager extends Http2SessionManager {
  readonly sessions = new Set<http2.ClientHttp2Session>();
  override async request(method: string, path: string, headers: http2.OutgoingHttpHeaders, options: Omit<http2.ClientSessionRequestOptions, "signal">): Promise<http2.ClientHttp2Stream> {
    const stream = await super.request(method, path, headers, options);
    this.sessions.add(stream.session as http2.ClientHttp2Session);
    return stream;
  }
  sent(): number {
    let n = 0;
    for (const s of this.sessions) n += (s.socket as unknown as { bytesWritten?: number } | undefined)?.bytesWritten ?? 0;
    return n;
  }
}

/** Per HTTP/2 DATA frame header (9) plus the Connect envelope (5), per message. */
const MESSAGE_OVERHEAD = 14;

function headerBytes(h: Headers): number {
  let n = 0;
  h.forEach((v, k) => {
    n += k.length + v.length + 2;
  });
  return n;
}

/**
 * Counts what the client receives. Under Bun the client socket's read counter stays at zero, so
 * this counts at the message level instead: each response message's protobuf size plus framing,
 * and response headers and trailers uncompressed (an upper bound of their HPACK size).
 */
function receiveCounter(add: (n: number) => void): Interceptor {
  return (next) => async (req) => {
    const res = await next(req);
    add(headerBytes(res.header));
    if (!res.stream) {
      add(toBinary(res.method.output, res.message).length + MESSAGE_OVERHEAD + headerBytes(res.trailer));
      return res;
    }
    const inner = res.message;
    return {
      ...res,
      message: (async function* () {
        for await (const m of inner) {
          add(toBinary(res.method.output, m).length + MESSAGE_OVERHEAD);
          yield m;
        }
        add(headerBytes(res.trailer) + MESSAGE_OVERHEAD);
      })(),
    };
  };
}

export function connectSync(baseUrl: string, token?: string): SyncClient {
  let received = 0;
  const interceptors: Interceptor[] = [receiveCounter((n) => (received += n))];
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
      received: () => final?.received ?? received,
    },
    close: () => {
      final = { sent: sessionManager.sent(), received: received };
      sessionManager.abort();
    },
  };
}
