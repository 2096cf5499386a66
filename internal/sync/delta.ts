// Sub-chunk delta: when a chunk changed (a tag edit rewrites a few bytes of a file's first chunk),
// send only the bytes that differ from the old file's bytes at the same place.
//
// The side holding the old bytes ("base") sends block signatures; the side holding the new bytes
// finds blocks of the base anywhere in the new bytes with a rolling weak checksum, confirms each
// hit with a strong hash, and emits "copy base block" / "insert these bytes" ops. This is the
// classic rsync idea, written from the description, not from its code. Nothing here is trusted:
// the rebuilt chunk is verified by its SHA-256 before use, so a weak/strong collision (or a lying
// peer) only costs a fallback to sending the whole chunk.

export interface BlockSignatures {
  blockSize: number;
  /** Length of the base; the last block may be shorter. */
  baseLength: number;
  /** Rolling checksum of each full-size block; the short tail block has its own below. */
  weak: Uint32Array;
  /** xxHash64 of each block (tail included), little-endian, 8 bytes each. */
  strong: Uint8Array;
}

export type DeltaOp =
  /** Copy `length` bytes of the base starting at block `block` (whole blocks, last may be the tail). */
  | { op: "copy"; block: number; length: number }
  /** Bytes [start, start + length) of the new data, sent literally. */
  | { op: "insert"; start: number; length: number };

/** Block size that about minimises signature bytes (12 per block) plus one block of literal per edit. */
export function chooseBlockSize(baseLength: number): number {
  const ideal = Math.sqrt(12 * Math.max(1, baseLength));
  let bs = 128;
  while (bs < ideal && bs < 16384) bs <<= 1;
  return bs;
}

const MOD = 1 << 16;

/** a = sum of bytes, b = sum of running sums, both mod 2^16; packed as b << 16 | a. */
function weakOf(data: Uint8Array, start: number, len: number): number {
  let a = 0;
  let b = 0;
  for (let i = start; i < start + len; i++) {
    a = (a + data[i]) & 0xffff;
    b = (b + a) & 0xffff;
  }
  return ((b << 16) | a) >>> 0;
}

function strongInto(data: Uint8Array, out: Uint8Array, at: number): void {
  const h = BigInt.asUintN(64, BigInt(Bun.hash.xxHash64(data)));
  new DataView(out.buffer, out.byteOffset, out.byteLength).setBigUint64(at, h, true);
}

function strongEquals(data: Uint8Array, sig: Uint8Array, at: number): boolean {
  const h = BigInt.asUintN(64, BigInt(Bun.hash.xxHash64(data)));
  return new DataView(sig.buffer, sig.byteOffset, sig.byteLength).getBigUint64(at, true) === h;
}

export function blockCount(sig: { blockSize: number; baseLength: number }): number {
  return Math.ceil(sig.baseLength / sig.blockSize);
}

export function signatures(base: Uint8Array, blockSize = chooseBlockSize(base.length)): BlockSignatures {
  const n = Math.ceil(base.length / blockSize);
  const weak = new Uint32Array(n);
  const strong = new Uint8Array(n * 8);
  for (let k = 0; k < n; k++) {
    const s = k * blockSize;
    const len = Math.min(blockSize, base.length - s);
    weak[k] = weakOf(base, s, len);
    strongInto(base.subarray(s, s + len), strong, k * 8);
  }
  return { blockSize, baseLength: base.length, weak, strong };
}

/** Checks a signature set from a peer before it is used (sizes consistent, bounded). */
export function validSignatures(sig: BlockSignatures): boolean {
  const n = blockCount(sig);
  return Number.isInteger(sig.blockSize) && sig.blockSize >= 16 && sig.blockSize <= 1 << 20 && Number.isInteger(sig.baseLength) && sig.baseLength >= 0 && sig.weak.length === n && sig.strong.length === 8 * n;
}

/** Ops that rebuild `target` from the base described by `sig`, in target order. */
export function computeDelta(sig: BlockSignatures, target: Uint8Array): DeltaOp[] {
  const bs = sig.blockSize;
  const fullBlocks = Math.floor(sig.baseLength / bs);
  const ops: DeltaOp[] = [];
  const byWeak = new Map<number, number[]>();
  for (let k = 0; k < fullBlocks; k++) {
    const list = byWeak.get(sig.weak[k]);
    if (list) list.push(k);
    else byWeak.set(sig.weak[k], [k]);
  }
  const n = target.length;
  let litStart = 0;
  let nextExpected = -1;
  const emitLiteral = (end: number) => {
    if (end > litStart) ops.push({ op: "insert", start: litStart, length: end - litStart });
  };
  const emitCopy = (block: number, length: number) => {
    const last = ops[ops.length - 1];
    // Consecutive base blocks merge into one op: fewer ops, fewer wire bytes.
    if (last && last.op === "copy" && last.block * bs + last.length === block * bs) last.length += length;
    else ops.push({ op: "copy", block, length });
  };
  if (fullBlocks > 0 && n >= bs) {
    let i = 0;
    let a = 0;
    let b = 0;
    const reset = (at: number) => {
      const w = weakOf(target, at, bs);
      a = w & 0xffff;
      b = w >>> 16;
    };
    reset(0);
    while (i + bs <= n) {
      const weak = ((b << 16) | a) >>> 0;
      const cands = byWeak.get(weak);
      let hit = -1;
      if (cands) {
        const block = target.subarray(i, i + bs);
        // Prefer the block right after the last match: runs stay in order and merge.
        if (nextExpected >= 0 && nextExpected < fullBlocks && sig.weak[nextExpected] === weak && strongEquals(block, sig.strong, nextExpected * 8)) hit = nextExpected;
        else for (const k of cands) if (strongEquals(block, sig.strong, k * 8)) {
          hit = k;
          break;
        }
      }
      if (hit >= 0) {
        emitLiteral(i);
        emitCopy(hit, bs);
        i += bs;
        litStart = i;
        nextExpected = hit + 1;
        if (i + bs <= n) reset(i);
        continue;
      }
      // Roll one byte: drop target[i], add target[i + bs].
      if (i + bs < n) {
        const out = target[i];
        const inb = target[i + bs];
        a = (a - out + inb + MOD) & 0xffff;
        b = (b - ((bs * out) & 0xffff) + a + 2 * MOD) & 0xffff;
      }
      i++;
    }
  }
  // The base's short tail block can only match at the very end of the target.
  const tailLen = sig.baseLength - fullBlocks * bs;
  if (tailLen > 0 && n - litStart >= tailLen && strongEquals(target.subarray(n - tailLen, n), sig.strong, fullBlocks * 8)) {
    emitLiteral(n - tailLen);
    emitCopy(fullBlocks, tailLen);
  } else emitLiteral(n);
  if (ops.length === 0 && n > 0) ops.push({ op: "insert", start: 0, length: n });
  return ops;
}

/** Bytes an encoded delta costs on the wire, roughly: literal bytes plus a few bytes per op. */
export function deltaCost(ops: DeltaOp[]): number {
  let c = 0;
  for (const o of ops) c += o.op === "insert" ? o.length + 4 : 6;
  return c;
}

export function literalBytes(ops: DeltaOp[]): number {
  let c = 0;
  for (const o of ops) if (o.op === "insert") c += o.length;
  return c;
}

/**
 * Rebuilds the new bytes from the base and the ops; `literal(start, length)` returns inserted bytes.
 * Throws on ops that point outside the base or do not add up to `targetLength`.
 */
export function applyDelta(base: Uint8Array, blockSize: number, ops: DeltaOp[], targetLength: number, literal: (start: number, length: number) => Uint8Array): Uint8Array {
  const out = new Uint8Array(targetLength);
  let at = 0;
  for (const o of ops) {
    if (!(o.length > 0) || at + o.length > targetLength) throw new Error("delta does not fit its target length");
    if (o.op === "copy") {
      const s = o.block * blockSize;
      if (!Number.isInteger(s) || s < 0 || s + o.length > base.length) throw new Error("delta copies outside its base");
      out.set(base.subarray(s, s + o.length), at);
    } else {
      const bytes = literal(o.start, o.length);
      if (bytes.length !== o.length) throw new Error("delta literal has the wrong length");
      out.set(bytes, at);
    }
    at += o.length;
  }
  if (at !== targetLength) throw new Error(`delta rebuilds ${at} bytes, expected ${targetLength}`);
  return out;
}
