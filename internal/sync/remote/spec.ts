// musicfs://HOST:PORT/NAME: a named export of a remote `musicfs serve`.

export interface RemoteSpec {
  /** http://HOST:PORT, as the Connect transport dials it (h2c). */
  baseUrl: string;
  /** Export name. */
  name: string;
  /** Optional sub-path inside the export ("" for its root). */
  subpath: string;
}

export function isRemoteSpec(s: string): boolean {
  return s.startsWith("musicfs://");
}

export function parseRemoteSpec(s: string): RemoteSpec {
  const m = /^musicfs:\/\/(\[[0-9a-fA-F:.]+\]|[^/:\[\]]+):(\d{1,5})\/([^/]+)(?:\/(.*))?$/.exec(s);
  if (!m) throw new Error(`${s}: expected musicfs://HOST:PORT/NAME`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new Error(`${s}: port must be 1..65535`);
  const subpath = (m[4] ?? "").replace(/\/+$/, "");
  return { baseUrl: `http://${m[1]}:${port}`, name: decodeURIComponent(m[3]), subpath };
}
