// Parsing of --listen addresses and the loopback rule (a token is required to bind elsewhere).
import * as net from "node:net";

export type ListenAddress = { kind: "tcp"; host: string; port: number } | { kind: "unix"; path: string };

export const DEFAULT_LISTEN = "127.0.0.1:50051";

/**
 * "127.0.0.1:50051", "[::1]:0", "localhost:8080", ":50051" (all interfaces), "0.0.0.0:50051",
 * or "unix:/run/musicfs.sock". Throws an Error with a message fit for the user.
 */
export function parseListen(spec: string): ListenAddress {
  const s = spec.trim();
  if (s.startsWith("unix:")) {
    const path = s.slice("unix:".length);
    if (path === "") throw new Error(`--listen ${spec}: expected unix:PATH`);
    return { kind: "unix", path };
  }
  // A bare path is a common slip for a Unix socket; say what to write instead of guessing.
  if (s.startsWith("/") || s.startsWith(".")) throw new Error(`--listen ${spec}: write unix:${s} for a Unix socket`);
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(s);
  if (!m) throw new Error(`--listen ${spec}: expected HOST:PORT, [IPv6]:PORT or unix:PATH`);
  const host = m[1] ?? m[2] ?? "";
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--listen ${spec}: port must be 0..65535`);
  if (m[1] !== undefined && net.isIPv6(host) === false) throw new Error(`--listen ${spec}: "${host}" is not an IPv6 address`);
  // ":50051" means every interface, as with most servers.
  return { kind: "tcp", host: host === "" ? "0.0.0.0" : host, port };
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost, Unix sockets. */
export function isLoopback(addr: ListenAddress): boolean {
  if (addr.kind === "unix") return true;
  const h = addr.host.toLowerCase();
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  if (net.isIPv4(h)) return h.startsWith("127.");
  if (h.startsWith("::ffff:")) return net.isIPv4(h.slice(7)) && h.slice(7).startsWith("127.");
  return false;
}

/** The address as a client would dial it: "http://127.0.0.1:50051" or "unix:/path". */
export function formatAddress(addr: ListenAddress, boundPort?: number): string {
  if (addr.kind === "unix") return `unix:${addr.path}`;
  const host = net.isIPv6(addr.host) ? `[${addr.host}]` : addr.host;
  return `http://${host}:${boundPort ?? addr.port}`;
}
