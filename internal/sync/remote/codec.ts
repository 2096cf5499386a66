// Compression of bulk bytes on the wire: zstd when this Bun has it, else gzip; raw when
// compression would not help. The receiver bounds the decompressed size before trusting it.
import { create } from "@bufbuild/protobuf";
import * as zlib from "node:zlib";
import { Codec, PackedSchema, type Packed } from "../../../proto/gen/musicfs/sync/v1/sync_pb.ts";

/** Largest decompressed payload accepted (a run of chunks or a manifest batch). */
export const MAX_RAW = 64 << 20;

const HAS_ZSTD = typeof Bun.zstdCompressSync === "function" && typeof Bun.zstdDecompressSync === "function";

/** Codecs this side can read, best first (sent so the peer picks one it knows we read). */
export function localCodecs(): Codec[] {
  return HAS_ZSTD ? [Codec.ZSTD, Codec.GZIP, Codec.NONE] : [Codec.GZIP, Codec.NONE];
}

/** The best codec both sides have; gzip if the peer did not say. */
export function pickCodec(peerAccepts: Codec[]): Codec {
  if (peerAccepts.length === 0) return Codec.GZIP;
  for (const c of localCodecs()) if (peerAccepts.includes(c)) return c;
  return Codec.NONE;
}

export function pack(raw: Uint8Array, codec: Codec): Packed {
  let data: Uint8Array = raw;
  let used = Codec.NONE;
  if (raw.length >= 64 && codec !== Codec.NONE) {
    const z = codec === Codec.ZSTD && HAS_ZSTD ? Bun.zstdCompressSync(raw, { level: 3 }) : zlib.gzipSync(raw, { level: 6 });
    if (z.length < raw.length) {
      data = z;
      used = codec === Codec.ZSTD && HAS_ZSTD ? Codec.ZSTD : Codec.GZIP;
    }
  }
  return create(PackedSchema, { codec: used, data, rawLength: raw.length });
}

export function unpack(p: Packed | undefined): Uint8Array {
  if (!p) throw new Error("missing packed payload");
  if (p.rawLength > MAX_RAW) throw new Error(`payload of ${p.rawLength} bytes is over the ${MAX_RAW}-byte limit`);
  let raw: Uint8Array;
  switch (p.codec) {
    case Codec.NONE:
    case Codec.UNSPECIFIED:
      raw = p.data;
      break;
    case Codec.ZSTD:
      if (!HAS_ZSTD) throw new Error("peer sent zstd, which this build cannot read");
      raw = Bun.zstdDecompressSync(p.data);
      break;
    case Codec.GZIP:
      raw = zlib.gunzipSync(p.data, { maxOutputLength: MAX_RAW });
      break;
    default:
      throw new Error(`unknown codec ${p.codec}`);
  }
  if (raw.length !== p.rawLength) throw new Error(`payload decompressed to ${raw.length} bytes, expected ${p.rawLength}`);
  return raw;
}
