// Two kinds of hashes, for two jobs.
//
// Chunk IDs are SHA-256. They cross machines (a sync peer says "I have chunk X", a shared chunk
// store is keyed by them), so they must not collide by accident at petabyte scale and must not be
// forgeable by a hostile peer: a 64-bit hash fails both (birthday bound ~2^32 chunks; xxHash is
// not collision resistant). Bun's SHA-256 uses the CPU's SHA extensions (~1-2 GB/s a core).
//
// Fingerprints are xxHash3-64 (Bun.hash, ~20-40 GB/s): local, non-adversarial "did this change?"
// checks where speed matters and a rare collision costs only a re-read.

export const CHUNK_ID_BYTES = 32;

/** SHA-256 of `data` written into `out` (32 bytes, reused by callers on hot paths). */
export function chunkIdInto(data: Uint8Array, out: Uint8Array): Uint8Array {
  Bun.SHA256.hash(data, out);
  return out;
}

/** SHA-256 of `data` as a new 32-byte array. */
export function chunkId(data: Uint8Array): Uint8Array {
  return chunkIdInto(data, new Uint8Array(CHUNK_ID_BYTES));
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase hex of bytes [start, start+length). */
export function toHex(bytes: Uint8Array, start = 0, length = bytes.length - start): string {
  let s = "";
  for (let i = start; i < start + length; i++) s += HEX[bytes[i]];
  return s;
}

/** Parses lowercase/uppercase hex; throws on odd length or non-hex characters. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`invalid hex string (${hex.length} chars)`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** SHA-256 chunk ID as 64 lowercase hex characters. */
export function chunkIdHex(data: Uint8Array): string {
  return toHex(chunkId(data));
}

/** xxHash3-64 fingerprint (fast, not collision resistant). */
export function fingerprint(data: Uint8Array, seed = 0): bigint {
  return BigInt.asUintN(64, BigInt(Bun.hash.xxHash3(data, BigInt(seed))));
}

/** xxHash64 (the predecessor's chunk hash), kept for comparisons and the bench. */
export function xxhash64(data: Uint8Array, seed = 0): bigint {
  return BigInt.asUintN(64, BigInt(Bun.hash.xxHash64(data, BigInt(seed))));
}

/** Fingerprint as 16 hex characters (big-endian digits of the 64-bit value). */
export function fingerprintHex(data: Uint8Array): string {
  return fingerprint(data).toString(16).padStart(16, "0");
}
