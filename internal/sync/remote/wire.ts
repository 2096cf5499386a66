// Conversions between the sync engine's types and the protobuf messages, with the checks that
// make a peer's message safe to use (paths, sizes, lengths that add up).
import { create } from "@bufbuild/protobuf";
import { CHUNK_ID_BYTES } from "../../hash/index.ts";
import type { FileChunks } from "../../manifest/index.ts";
import { ChunkListSchema, EntryKind, EntrySchema, SignaturesSchema, type ChunkList, type Entry, type Signatures } from "../../../proto/gen/musicfs/sync/v1/sync_pb.ts";
import type { ListEntry } from "../compare.ts";
import { blockCount, validSignatures, type BlockSignatures, type DeltaOp } from "../delta.ts";
import { relPathProblem, UnsafePathError } from "../paths.ts";

/** Largest chunk a peer may announce (FastCDC max is at most 1 GiB; ours 256 KiB). */
export const MAX_CHUNK = 16 << 20;

export function toEntry(e: ListEntry): Entry {
  return create(EntrySchema, {
    path: e.rel,
    kind: e.kind === "symlink" ? EntryKind.SYMLINK : EntryKind.FILE,
    size: BigInt(e.size),
    mtimeMs: e.mtimeMs,
    mode: e.mode,
    target: e.target ?? "",
  });
}

/** A peer's entry, checked: safe path, known kind, sane numbers. Throws UnsafePathError or Error. */
export function fromEntry(e: Entry): ListEntry {
  const problem = relPathProblem(e.path);
  if (problem) throw new UnsafePathError(e.path, problem);
  if (e.kind !== EntryKind.FILE && e.kind !== EntryKind.SYMLINK) throw new Error(`${e.path}: unknown entry kind ${e.kind}`);
  const size = Number(e.size);
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`${e.path}: bad size`);
  if (!Number.isFinite(e.mtimeMs)) throw new Error(`${e.path}: bad mtime`);
  if (e.kind === EntryKind.SYMLINK && (e.target === "" || e.target.includes("\0") || e.target.length > 4096)) throw new Error(`${e.path}: bad symlink target`);
  return { rel: e.path, kind: e.kind === EntryKind.SYMLINK ? "symlink" : "file", size, mtimeMs: e.mtimeMs, mode: e.mode & 0o7777, target: e.kind === EntryKind.SYMLINK ? e.target : undefined };
}

export function toChunkList(c: FileChunks): ChunkList {
  return create(ChunkListSchema, { lengths: c.lengths, ids: c.ids });
}

/** A peer's chunk list, checked against the file size it claims. */
export function fromChunkList(c: ChunkList | undefined, size: number): FileChunks {
  if (!c) throw new Error("missing chunk list");
  if (c.ids.length !== c.lengths.length * CHUNK_ID_BYTES) throw new Error("chunk list: ids and lengths disagree");
  let total = 0;
  for (const l of c.lengths) {
    if (l <= 0 || l > MAX_CHUNK) throw new Error(`chunk list: bad chunk length ${l}`);
    total += l;
  }
  if (total !== size) throw new Error(`chunk list adds up to ${total} bytes, file has ${size}`);
  return { size, lengths: [...c.lengths], ids: new Uint8Array(c.ids) };
}

export function toSignatures(s: BlockSignatures): Signatures {
  return create(SignaturesSchema, { blockSize: s.blockSize, baseLength: s.baseLength, weak: new Uint8Array(s.weak.buffer, s.weak.byteOffset, s.weak.byteLength), strong: s.strong });
}

export function fromSignatures(s: Signatures | undefined): BlockSignatures | null {
  if (!s) return null;
  const full = Math.floor(s.baseLength / Math.max(1, s.blockSize));
  if (s.weak.length !== full * 4 && s.weak.length !== blockCount(s) * 4) return null;
  // A copy: decoded bytes may be a view into a larger (Node Buffer) allocation, and
  // Buffer#slice does not copy, so only a fresh array has its bytes at offset 0 of its buffer.
  const weakBytes = new Uint8Array(s.weak);
  const sig: BlockSignatures = { blockSize: s.blockSize, baseLength: s.baseLength, weak: new Uint32Array(weakBytes.buffer, 0, weakBytes.length / 4), strong: new Uint8Array(s.strong) };
  return validSignatures(sig) ? sig : null;
}

// Delta encoding: varint count, then per op varint tag (0 copy, 1 insert) and varint fields
// (copy: block, length; insert: length), then the inserted bytes in order.

function putVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

export function encodeDelta(ops: DeltaOp[], target: Uint8Array): Uint8Array {
  const head: number[] = [];
  putVarint(head, ops.length);
  let lit = 0;
  for (const o of ops) {
    if (o.op === "copy") {
      head.push(0);
      putVarint(head, o.block);
      putVarint(head, o.length);
    } else {
      head.push(1);
      putVarint(head, o.length);
      lit += o.length;
    }
  }
  const out = new Uint8Array(head.length + lit);
  out.set(head, 0);
  let at = head.length;
  for (const o of ops)
    if (o.op === "insert") {
      out.set(target.subarray(o.start, o.start + o.length), at);
      at += o.length;
    }
  return out;
}

/** Decodes ops; inserts' `start` points into the returned literal section. */
export function decodeDelta(buf: Uint8Array): { ops: DeltaOp[]; literal: Uint8Array } {
  let p = 0;
  const varint = () => {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (p >= buf.length) throw new Error("truncated delta");
      const b = buf[p++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    throw new Error("bad varint in delta");
  };
  const n = varint();
  if (n > buf.length) throw new Error("bad delta op count");
  const ops: DeltaOp[] = [];
  let lit = 0;
  for (let i = 0; i < n; i++) {
    const tag = buf[p++];
    if (tag === 0) ops.push({ op: "copy", block: varint(), length: varint() });
    else if (tag === 1) {
      const length = varint();
      ops.push({ op: "insert", start: lit, length });
      lit += length;
    } else throw new Error("bad delta op");
  }
  if (p + lit !== buf.length) throw new Error("delta literal section has the wrong length");
  return { ops, literal: buf.subarray(p) };
}
