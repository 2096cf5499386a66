// A free TCP port on 127.0.0.1 for servers that cannot bind port 0 themselves (sshd).
import * as net from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port and sends a first byte. */
export async function waitForBanner(port: number, limitMs: number, alive: () => boolean): Promise<void> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (!alive()) throw new Error("server exited during start-up");
    const ok = await new Promise<boolean>((res) => {
      const sock = net.connect(port, "127.0.0.1");
      const done = (v: boolean) => {
        sock.destroy();
        res(v);
      };
      sock.once("data", () => done(true));
      sock.once("error", () => done(false));
      sock.setTimeout(1000, () => done(false));
    });
    if (ok) return;
    await Bun.sleep(20);
  }
  throw new Error(`no server on port ${port} after ${limitMs} ms`);
}
