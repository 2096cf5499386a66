// The request loop without a kernel: requests are written into one end of a SEQPACKET socket pair
// (message boundaries like /dev/fuse), the Session reads the other end, and replies are checked
// byte for byte: error replies are exactly 16 bytes, FORGET/BATCH_FORGET/INTERRUPT get none,
// write ops answer EROFS, STATX and unknown ops ENOSYS, async replies arrive later.
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { errno, type FileSystem } from "../../internal/fuse/index.ts";
import { pollReadable, SOCK_SEQPACKET, socketpair } from "../../internal/fuse/libc.ts";
import { Op } from "../../internal/fuse/proto.ts";
import { Session } from "../../internal/fuse/session.ts";
import { createFileSystem } from "./memfs.ts";

const [kernel, daemon] = socketpair(SOCK_SEQPACKET);
afterAll(() => {
  fs.closeSync(kernel);
  fs.closeSync(daemon);
});

const forgets: [number, number][] = [];
const memfs = createFileSystem({ manyCount: 3 });
const fsys: FileSystem = Object.assign(Object.create(memfs) as FileSystem, {
  forget: (ino: number, n: number) => void forgets.push([ino, n]),
});
const session = new Session(fsys, { fd: daemon, maxWrite: 1 << 20, maxRead: 1 << 20, entryTimeout: 1, attrTimeout: 1, negativeTimeout: 0, worker: 0 });

let unique = 100;
function request(opcode: number, nodeid: number, body: Uint8Array = new Uint8Array(0)): number {
  const b = Buffer.alloc(40 + body.length);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, b.length, true);
  dv.setUint32(4, opcode, true);
  dv.setBigUint64(8, BigInt(++unique), true);
  dv.setBigUint64(16, BigInt(nodeid), true);
  b.set(body, 40);
  fs.writeSync(kernel, b);
  expect(session.runOnce()).toBeNull();
  return unique;
}

function reply(): { len: number; error: number; unique: number; body: Buffer } | null {
  if (!pollReadable(kernel, 0)) return null;
  const b = Buffer.alloc(2 << 20);
  const n = fs.readSync(kernel, b);
  const dv = new DataView(b.buffer);
  expect(dv.getUint32(0, true)).toBe(n);
  return { len: n, error: dv.getInt32(4, true), unique: Number(dv.getBigUint64(8, true)), body: b.subarray(16, n) };
}

const cstr = (s: string) => Buffer.from(s + "\0");
function u32s(...v: number[]): Buffer {
  const b = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => b.writeUInt32LE(x, i * 4));
  return b;
}

describe("Session dispatch", () => {
  test("LOOKUP answers an entry_out; a missing name is a 16-byte ENOENT", () => {
    const u = request(Op.LOOKUP, 1, cstr("hello.txt"));
    const r = reply()!;
    expect(r.unique).toBe(u);
    expect(r.error).toBe(0);
    expect(r.len).toBe(16 + 128);
    expect(r.body.readUInt32LE(40 + 60)).toBe(0o100644); // attr.mode
    request(Op.LOOKUP, 1, cstr("nope"));
    const e = reply()!;
    expect([e.len, e.error]).toEqual([16, -errno.ENOENT]);
  });

  test("GETATTR answers attr_out (104 bytes)", () => {
    request(Op.GETATTR, 1, Buffer.alloc(16));
    const r = reply()!;
    expect(r.len).toBe(16 + 104);
    expect(r.body.readUInt32LE(16 + 60)).toBe(0o040755);
  });

  test("READ copies the requested range after the header", () => {
    const body = Buffer.alloc(40);
    body.writeUInt32LE(7, 8); // offset 7
    body.writeUInt32LE(4, 16); // size 4
    const hello = fsys.lookup(1, "hello.txt", { uid: 0, gid: 0, pid: 0 }) as { ino: number };
    request(Op.READ, hello.ino, body);
    const r = reply()!;
    expect(r.body.toString()).toBe("fuse");
  });

  test("READDIR pages: every record 8-aligned, cookies continue where the last page ended", () => {
    const many = fsys.lookup(1, "many", { uid: 0, gid: 0, pid: 0 }) as { ino: number };
    const names: string[] = [];
    let offset = 0;
    for (let page = 0; page < 10; page++) {
      const body = Buffer.alloc(40);
      body.writeUInt32LE(offset, 8);
      body.writeUInt32LE(80, 16); // room for two 32-byte records only
      request(Op.READDIR, many.ino, body);
      const r = reply()!;
      if (r.body.length === 0) break;
      for (let p = 0; p < r.body.length; ) {
        const len = r.body.readUInt32LE(p + 16);
        names.push(r.body.toString("utf8", p + 24, p + 24 + len));
        offset = Number(r.body.readBigUInt64LE(p + 8));
        p += (24 + len + 7) & ~7;
        expect(p % 8).toBe(0);
      }
    }
    expect(names).toEqual([".", "..", "entry-000000", "entry-000001", "entry-000002"]);
  });

  test("FORGET, BATCH_FORGET and INTERRUPT of an unknown request get no reply", () => {
    request(Op.FORGET, 5, u32s(3, 0));
    request(Op.BATCH_FORGET, 0, Buffer.concat([u32s(2, 0), u32s(6, 0, 1, 0), u32s(7, 0, 2, 0)]));
    request(Op.INTERRUPT, 0, u32s(99999, 0));
    expect(reply()).toBeNull();
    expect(forgets).toEqual([[5, 3], [6, 1], [7, 2]]);
  });

  test("write ops answer EROFS, STATX and unknown opcodes ENOSYS, all as 16-byte replies", () => {
    for (const op of [Op.MKDIR, Op.UNLINK, Op.RMDIR, Op.RENAME, Op.RENAME2, Op.SYMLINK, Op.LINK, Op.SETATTR, Op.CREATE, Op.WRITE, Op.SETXATTR, Op.REMOVEXATTR, Op.FALLOCATE, Op.MKNOD]) {
      request(op, 1, Buffer.alloc(96));
      const r = reply()!;
      expect([op, r.len, r.error]).toEqual([op, 16, -errno.EROFS]);
    }
    for (const op of [Op.STATX, Op.GETXATTR, Op.LISTXATTR, Op.FSYNC, Op.GETLK, 4000]) {
      request(op, 1, Buffer.alloc(64));
      const r = reply()!;
      expect([op, r.len, r.error]).toEqual([op, 16, -errno.ENOSYS]);
    }
  });

  test("OPEN for writing is EROFS without a write method; OPEN read-only returns open_out", () => {
    request(Op.OPEN, 2, u32s(1 /* O_WRONLY */, 0));
    expect(reply()!.error).toBe(-errno.EROFS);
    request(Op.OPEN, 2, u32s(0, 0));
    const r = reply()!;
    expect([r.len, r.error]).toEqual([32, 0]);
  });

  test("async READ is answered later; INTERRUPT answers it EINTR and drops the late result", async () => {
    const slow = fsys.lookup(1, "async.txt", { uid: 0, gid: 0, pid: 0 }) as { ino: number };
    const body = Buffer.alloc(40);
    body.writeUInt32LE(100, 16);
    const u = request(Op.READ, slow.ino, body);
    expect(reply()).toBeNull();
    expect(session.pendingCount).toBe(1);
    for (let i = 0; i < 200 && session.pendingCount > 0; i++) await Bun.sleep(5);
    const r = reply()!;
    expect([r.unique, r.body.toString()]).toEqual([u, "answered later\n"]);

    const u2 = request(Op.READ, slow.ino, body);
    request(Op.INTERRUPT, 0, u32s(u2, 0));
    const i = reply()!;
    expect([i.unique, i.len, i.error]).toEqual([u2, 16, -errno.EINTR]);
    await Bun.sleep(30);
    expect(reply()).toBeNull();
  });
});
