// A stand-alone sync server (registerSyncService on connect-node over node:http2 h2c) for tests
// and bench scenarios; `musicfs serve` wires registerSyncService into its own one-port server.
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { registerSyncService } from "./server.ts";

export interface SyncServerHandle {
  port: number;
  url(name: string): string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (port 0 = any free port). */
export async function startSyncServer(exports: Record<string, string>, token?: string, listenPort = 0): Promise<SyncServerHandle> {
  const handler = connectNodeAdapter({ routes: (router) => registerSyncService(router, { exports, token }), readMaxBytes: 8 << 20 });
  const server = http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
    s.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(listenPort, "127.0.0.1", () => resolve()));
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

// Run alone: bun internal/sync/remote/h2c-server.ts NAME=DIR ... [--token T]; prints the port.
if (import.meta.main) {
  const args = process.argv.slice(2);
  const ti = args.indexOf("--token");
  const token = ti >= 0 ? args[ti + 1] : undefined;
  const exports = Object.fromEntries(args.filter((a, i) => a.includes("=") && i !== ti + 1).map((a) => a.split("=", 2) as [string, string]));
  // No top-level await: this module is bundled into the --bytecode executable.
  void startSyncServer(exports, token).then((s) => process.stdout.write(`${s.port}\n`));
}
