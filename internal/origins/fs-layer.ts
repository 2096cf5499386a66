// The file-system calls a path-based origin makes, behind an interface so NFS/SMB wrappers can
// add retries and tests can inject ESTALE/ENOTCONN (the kernel here has no NFS or SMB client).
// All calls are async: on a hung network share a blocked call must not block the event loop.
import * as fsp from "node:fs/promises";

export interface StatLike {
  size: number;
  mtimeMs: number;
  isDirectory(): boolean;
  isFile(): boolean;
}

export interface DirentLike {
  name: string;
  isDirectory(): boolean;
  isFile(): boolean;
  isSymbolicLink(): boolean;
}

export interface FsLayer {
  realpath(path: string): Promise<string>;
  stat(path: string): Promise<StatLike>;
  readdir(path: string): Promise<DirentLike[]>;
  /** Reads up to `length` bytes at `offset` (short only at EOF). */
  readRange(path: string, offset: number, length: number): Promise<Uint8Array>;
}

async function readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
  const fh = await fsp.open(path, "r");
  try {
    const buf = new Uint8Array(length);
    let n = 0;
    while (n < length) {
      const { bytesRead } = await fh.read(buf, n, length - n, offset + n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return n === length ? buf : buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

export const nodeFsLayer: FsLayer = {
  realpath: (p) => fsp.realpath(p),
  stat: (p) => fsp.stat(p),
  readdir: (p) => fsp.readdir(p, { withFileTypes: true }),
  readRange,
};
