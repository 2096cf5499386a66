// Cover presence without decoding pictures. music-metadata's `skipCovers` drops pictures
// entirely (so presence is lost); reading them would cost up to megabytes per file. For MP3 and
// FLAC we instead walk the tag's frame/block headers, reading only headers.
import * as fs from "node:fs";

function readAt(fd: number, len: number, pos: number): Uint8Array {
  const b = new Uint8Array(len);
  const n = fs.readSync(fd, b, 0, len, pos);
  return b.subarray(0, n);
}

/**
 * Walks FLAC metadata block headers. A file that ends before the last block does is a cut-off
 * copy: music-metadata reads such a file without complaint and without tags, so this is where
 * the scanner learns why.
 */
function flacHasPicture(fd: number): boolean {
  let at = 4;
  for (let i = 0; i < 1024; i++) {
    const h = readAt(fd, 4, at);
    if (h.length < 4) throw new Error(`truncated FLAC: the metadata blocks run past the end of the file (next block header expected at byte ${at})`);
    if ((h[0] & 0x7f) === 6) return true;
    if (h[0] & 0x80) return false;
    at += 4 + ((h[1] << 16) | (h[2] << 8) | h[3]);
  }
  return false;
}

function id3HasPicture(fd: number, header: Uint8Array): boolean {
  const major = header[3];
  const synch = (b: Uint8Array, o: number) => (b[o] << 21) | (b[o + 1] << 14) | (b[o + 2] << 7) | b[o + 3];
  const end = 10 + synch(header, 6);
  let at = 10;
  if (header[5] & 0x40 && major >= 3) {
    const ext = readAt(fd, 4, at);
    at += major === 4 ? synch(ext, 0) : 4 + new DataView(ext.buffer).getUint32(0);
  }
  const hlen = major === 2 ? 6 : 10;
  for (let i = 0; i < 4096 && at + hlen <= end; i++) {
    const h = readAt(fd, hlen, at);
    if (h.length < hlen || h[0] === 0) return false;
    const id = String.fromCharCode(...h.subarray(0, major === 2 ? 3 : 4));
    if (id === "APIC" || id === "PIC") return true;
    const size = major === 2 ? (h[3] << 16) | (h[4] << 8) | h[5] : major === 4 ? synch(h, 4) : new DataView(h.buffer).getUint32(4);
    at += hlen + size;
  }
  return false;
}

/** True/false for MP3 (ID3v2) and FLAC; null when this probe cannot tell. Throws for a truncated FLAC header. */
export function probeCover(path: string, format: string): boolean | null {
  if (format !== "mp3" && format !== "flac") return null;
  const fd = fs.openSync(path, "r");
  try {
    return probeCoverFd(fd, format);
  } finally {
    fs.closeSync(fd);
  }
}

/** The same from an open descriptor. */
export function probeCoverFd(fd: number, format: string): boolean | null {
  if (format !== "mp3" && format !== "flac") return null;
  const head = readAt(fd, 10, 0);
  if (format === "flac") return head.length >= 4 && String.fromCharCode(...head.subarray(0, 4)) === "fLaC" ? flacHasPicture(fd) : false;
  if (head.length === 10 && head[0] === 0x49 && head[1] === 0x44 && head[2] === 0x33) return id3HasPicture(fd, head);
  return false;
}
