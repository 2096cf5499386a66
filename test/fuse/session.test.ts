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

describe("Session routing to optional FS methods", () => {
  const [k2, d2] = socketpair(SOCK_SEQPACKET);
  afterAll(() => {
    fs.closeSync(k2);
    fs.closeSync(d2);
  });
  const calls: unknown[][] = [];
  const attr = { ino: 9, mode: 0o040755, size: 0, nlink: 2, uid: 0, gid: 0, mtime: 0 };
  const base = createFileSystem({ manyCount: 0 });
  const rw: FileSystem = Object.assign(Object.create(base) as FileSystem, {
    mkdir: (p: number, name: string, mode: number) => (calls.push(["mkdir", p, name, mode]), attr),
    unlink: (p: number, name: string) => (calls.push(["unlink", p, name]), 0),
    rmdir: (p: number, name: string) => (calls.push(["rmdir", p, name]), -errno.ENOTEMPTY),
    rename: (p: number, n: number | string, np: number, nn: string, flags: number) => (calls.push(["rename", p, n, np, nn, flags]), 0),
    symlink: (p: number, name: string, target: string) => (calls.push(["symlink", p, name, target]), attr),
    write: (ino: number, fh: number, off: number, data: Uint8Array) => (calls.push(["write", ino, fh, off, Buffer.from(data).toString()]), data.length),
    getxattr: (_ino: number, name: string) => (name === "user.k" ? Buffer.from("value") : -errno.ENODATA),
    listxattr: () => ["user.k", "user.j"],
  });
  const s = new Session(rw, { fd: d2, maxWrite: 1 << 20, maxRead: 1 << 20, entryTimeout: 1, attrTimeout: 1, negativeTimeout: 2.5, worker: 0 });
  function req(opcode: number, nodeid: number, body: Uint8Array) {
    const b = Buffer.alloc(40 + body.length);
    b.writeUInt32LE(b.length, 0);
    b.writeUInt32LE(opcode, 4);
    b.writeBigUInt64LE(BigInt(++unique), 8);
    b.writeBigUInt64LE(BigInt(nodeid), 16);
    b.set(body, 40);
    fs.writeSync(k2, b);
    expect(s.runOnce()).toBeNull();
    const out = Buffer.alloc(1 << 16);
    const n = fs.readSync(k2, out);
    return { len: n, error: out.readInt32LE(4), body: out.subarray(16, n) };
  }

  test("write ops decode their arguments and reply in the right shape", () => {
    expect(req(Op.MKDIR, 1, Buffer.concat([u32s(0o777, 0o022), cstr("newdir")])).len).toBe(16 + 128);
    expect(req(Op.UNLINK, 1, cstr("gone")).len).toBe(16);
    expect(req(Op.RMDIR, 1, cstr("full")).error).toBe(-errno.ENOTEMPTY);
    const newdir = Buffer.alloc(8);
    newdir.writeUInt32LE(7);
    req(Op.RENAME, 1, Buffer.concat([newdir, cstr("a"), cstr("b")]));
    req(Op.RENAME2, 1, Buffer.concat([newdir, u32s(1, 0), cstr("c"), cstr("d")]));
    expect(req(Op.SYMLINK, 1, Buffer.concat([cstr("ln"), cstr("../target")])).len).toBe(16 + 128);
    const w = req(Op.WRITE, 3, Buffer.concat([Buffer.alloc(8), Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), u32s(4, 0), Buffer.alloc(16), Buffer.from("data")]));
    expect([w.len, w.body.readUInt32LE(0)]).toEqual([16 + 8, 4]);
    expect(calls).toEqual([
      ["mkdir", 1, "newdir", 0o755],
      ["unlink", 1, "gone"],
      ["rmdir", 1, "full"],
      ["rename", 1, "a", 7, "b", 0],
      ["rename", 1, "c", 7, "d", 1],
      ["symlink", 1, "ln", "../target"],
      ["write", 3, 0, 5, "data"],
    ]);
  });

  test("GETXATTR: size query, value, ERANGE, ENODATA; LISTXATTR as NUL-separated names", () => {
    const q = req(Op.GETXATTR, 1, Buffer.concat([u32s(0, 0), cstr("user.k")]));
    expect([q.len, q.body.readUInt32LE(0)]).toEqual([16 + 8, 5]);
    expect(req(Op.GETXATTR, 1, Buffer.concat([u32s(64, 0), cstr("user.k")])).body.toString()).toBe("value");
    expect(req(Op.GETXATTR, 1, Buffer.concat([u32s(2, 0), cstr("user.k")])).error).toBe(-errno.ERANGE);
    expect(req(Op.GETXATTR, 1, Buffer.concat([u32s(64, 0), cstr("user.x")])).error).toBe(-errno.ENODATA);
    expect(req(Op.LISTXATTR, 1, u32s(0, 0)).body.readUInt32LE(0)).toBe(14);
    expect(req(Op.LISTXATTR, 1, u32s(100, 0)).body.toString()).toBe("user.k\0user.j\0");
  });

  test("a missing name is cached as a negative entry when negativeTimeout is set", () => {
    const r = req(Op.LOOKUP, 1, cstr("nope"));
    expect([r.len, r.error]).toEqual([16 + 128, 0]);
    expect(Number(r.body.readBigUInt64LE(0))).toBe(0); // nodeid 0 = negative entry
    expect(Number(r.body.readBigUInt64LE(16))).toBe(2); // entry_valid seconds
    expect(r.body.readUInt32LE(32)).toBe(500_000_000);
  });

  test("READLINK, STATFS, ACCESS defaults", () => {
    const link = base.lookup(1, "link", { uid: 0, gid: 0, pid: 0 }) as { ino: number };
    expect(req(Op.READLINK, link.ino, new Uint8Array(0)).body.toString()).toBe("hello.txt");
    const st = req(Op.STATFS, 1, new Uint8Array(0));
    expect([st.len, Number(st.body.readBigUInt64LE(0)), st.body.readUInt32LE(40)]).toEqual([16 + 80, 1000, 4096]);
    expect(req(Op.ACCESS, 1, u32s(4, 0)).len).toBe(16);
  });
});
