// Content fingerprint for move detection: xxHash3 over the first 64 KiB, the last 64 KiB and the
// size. Why not a full-file hash: a rescan must stay cheap on large libraries and slow remotes,
// and this reads at most 128 KiB per file. The head holds ID3v2/FLAC/MP4 tags and the tail ID3v1/
// APE tags, so a retag changes the fingerprint; the size catches appends and truncation. It is a
// local identity hint, not an integrity check: chunk ids for sync use SHA-256 elsewhere.
import * as fs from "node:fs";

export const FINGERPRINT_SPAN = 64 * 1024;

const buf = new Uint8Array(2 * FINGERPRINT_SPAN + 8);

/** 16 hex digits. `size` must be the file's current size (from the same stat as the scan). */
export function fingerprintFile(path: string, size: number): string {
  const fd = fs.openSync(path, "r");
  try {
    return fingerprintFd(fd, size);
  } finally {
    fs.closeSync(fd);
  }
}

/** The same from an open descriptor (the scanner reads the fingerprint and the tags through one open). */
export function fingerprintFd(fd: number, size: number): string {
  {
    let n = 0;
    const head = Math.min(size, FINGERPRINT_SPAN);
    while (n < head) {
      const r = fs.readSync(fd, buf, n, head - n, n);
      if (r === 0) break;
      n += r;
    }
    if (size > FINGERPRINT_SPAN) {
      const tailStart = Math.max(FINGERPRINT_SPAN, size - FINGERPRINT_SPAN);
      let m = 0;
      const tail = size - tailStart;
      while (m < tail) {
        const r = fs.readSync(fd, buf, n + m, tail - m, tailStart + m);
        if (r === 0) break;
        m += r;
      }
      n += m;
    }
    new DataView(buf.buffer).setFloat64(n, size, true);
    return Bun.hash.xxHash3(buf.subarray(0, n + 8)).toString(16).padStart(16, "0");
  }
}
