// A sync server for tests: registerSyncService on connect-node over node:http2 h2c, 127.0.0.1:0.
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { registerSyncService } from "../../internal/sync/remote/server.ts";

export interface TestServer {
  port: number;
  url(name: string): string;
  close(): Promise<void>;
}

export async function startSyncServer(exports: Record<string, string>, token?: string): Promise<TestServer> {
  const handler = connectNodeAdapter({ routes: (router) => registerSyncService(router, { exports, token }), readMaxBytes: 8 << 20 });
  const server = http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
    s.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (name) => `musicfs://127.0.0.1:${port}/${name}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

// Run alone (for kill tests in another process): bun test/sync/server.ts NAME=DIR ... [--token T]
if (import.meta.main) {
  const args = process.argv.slice(2);
  const ti = args.indexOf("--token");
  const token = ti >= 0 ? args[ti + 1] : undefined;
  const exports = Object.fromEntries(args.filter((a, i) => a.includes("=") && i !== ti + 1).map((a) => a.split("=", 2) as [string, string]));
  const s = await startSyncServer(exports, token);
  process.stdout.write(`${s.port}\n`);
}
