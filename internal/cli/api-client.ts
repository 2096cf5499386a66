// A Connect transport to a running `musicfs serve` (or `mount --serve`) for the CLI's client
// commands: HTTP/1.1 so any proxy passes it, a Unix socket with unix:PATH, a bearer token.
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { UsageError } from "./errors.ts";

export function apiTransport(server: string, token: string | undefined): Transport {
  let baseUrl = server;
  let socketPath: string | undefined;
  if (server.startsWith("unix:")) {
    socketPath = server.slice(5);
    baseUrl = "http://localhost";
  } else if (!/^https?:\/\/[^/]/.test(server)) {
    throw new UsageError(`--server ${server}: expected http://HOST:PORT, https://HOST:PORT or unix:PATH`);
  }
  if (token !== undefined && (token === "" || /\s/.test(token))) throw new UsageError("the token must be non-empty and contain no whitespace");
  const interceptors: Interceptor[] = [];
  if (token) {
    interceptors.push((next) => (req) => {
      req.header.set("authorization", `Bearer ${token}`);
      return next(req);
    });
  }
  return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors, ...(socketPath ? { nodeOptions: { socketPath } } : {}) });
}
