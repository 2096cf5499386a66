// Ogg pages (RFC 3533): packets are cut into 255-byte lacing segments, at most 255 segments per
// page; a packet that does not fit continues on the next page (header flag 1). Every page carries
// a CRC-32 (polynomial 0x04C11DB7, MSB first, initial value 0, no final XOR: not the zlib CRC)
// computed over the page with the CRC field zeroed.
import { concat, encoder } from "./tags.ts";

const CRC_TABLE = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i << 24;
  for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
  CRC_TABLE[i] = c >>> 0;
}

export function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ bytes[i]) & 0xff]) >>> 0;
  return crc;
}

export interface OggPacket {
  data: Uint8Array;
  /** Granule position at the end of this packet (-1: none, e.g. header packets). */
  granule: number;
}

const MAX_SEGMENTS = 255;

function page(flags: number, granule: number, serial: number, seq: number, lacing: number[], body: Uint8Array): Uint8Array {
  const h = new Uint8Array(27 + lacing.length);
  const v = new DataView(h.buffer);
  h.set(encoder.encode("OggS"));
  h[4] = 0; // stream structure version
  h[5] = flags;
  if (granule < 0) {
    v.setUint32(6, 0xffffffff, true);
    v.setUint32(10, 0xffffffff, true);
  } else {
    v.setUint32(6, granule >>> 0, true);
    v.setUint32(10, Math.floor(granule / 2 ** 32), true);
  }
  v.setUint32(14, serial, true);
  v.setUint32(18, seq, true);
  h[26] = lacing.length;
  h.set(lacing, 27);
  const out = concat([h, body]);
  new DataView(out.buffer).setUint32(22, oggCrc(out), true);
  return out;
}

/**
 * One logical stream. `pageBreaks` lists packet indexes that must start a new page (Opus and
 * Vorbis want the identification header alone on the first page and the comment header to end
 * its page).
 */
export function oggStream(packets: OggPacket[], serial: number, pageBreaks: ReadonlySet<number>): Uint8Array {
  const pages: Uint8Array[] = [];
  let seq = 0;
  let lacing: number[] = [];
  let parts: Uint8Array[] = [];
  let granule = -1;
  let continued = false; // the page starts in the middle of a packet
  const flush = (last: boolean) => {
    const flags = (continued ? 1 : 0) | (seq === 0 ? 2 : 0) | (last ? 4 : 0);
    pages.push(page(flags, granule, serial, seq++, lacing, concat(parts)));
    lacing = [];
    parts = [];
    granule = -1;
  };
  packets.forEach((p, i) => {
    if (pageBreaks.has(i) && lacing.length > 0) {
      flush(false);
      continued = false;
    }
    // Lacing: 255 for each full segment, then the remainder (0 when the length is a multiple of 255).
    let at = 0;
    for (;;) {
      const n = Math.min(255, p.data.length - at);
      if (lacing.length === MAX_SEGMENTS) {
        flush(false);
        continued = at > 0;
      }
      lacing.push(n);
      parts.push(p.data.subarray(at, at + n));
      at += n;
      if (n < 255) break;
    }
    granule = p.granule;
  });
  flush(true);
  return concat(pages);
}
