// Codec: struct sizes and field offsets as in linux/fuse.h (hard-coded from the header, and
// cross-checked with the C compiler's offsetof when cc and the header are installed), plus the
// encoders' byte layout.
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as P from "../../internal/fuse/proto.ts";

const FUSE_H = "/usr/include/linux/fuse.h";

/** [C expression, our value] pairs: sizeof/offsetof against the constants in proto.ts. */
const LAYOUT: [string, number][] = [
  ["sizeof(struct fuse_in_header)", P.IN_HEADER_SIZE],
  ["sizeof(struct fuse_out_header)", P.OUT_HEADER_SIZE],
  ["sizeof(struct fuse_attr)", P.ATTR_SIZE],
  ["sizeof(struct fuse_entry_out)", P.ENTRY_OUT_SIZE],
  ["sizeof(struct fuse_attr_out)", P.ATTR_OUT_SIZE],
  ["sizeof(struct fuse_init_in)", P.INIT_IN_SIZE],
  ["sizeof(struct fuse_init_out)", P.INIT_OUT_SIZE],
  ["sizeof(struct fuse_open_in)", P.OPEN_IN_SIZE],
  ["sizeof(struct fuse_open_out)", P.OPEN_OUT_SIZE],
  ["sizeof(struct fuse_read_in)", P.READ_IN_SIZE],
  ["sizeof(struct fuse_write_in)", P.WRITE_IN_SIZE],
  ["sizeof(struct fuse_write_out)", P.WRITE_OUT_SIZE],
  ["sizeof(struct fuse_release_in)", P.RELEASE_IN_SIZE],
  ["sizeof(struct fuse_flush_in)", P.FLUSH_IN_SIZE],
  ["sizeof(struct fuse_getattr_in)", P.GETATTR_IN_SIZE],
  ["sizeof(struct fuse_setattr_in)", P.SETATTR_IN_SIZE],
  ["sizeof(struct fuse_kstatfs)", P.KSTATFS_SIZE],
  ["sizeof(struct fuse_statfs_out)", P.STATFS_OUT_SIZE],
  ["sizeof(struct fuse_getxattr_in)", P.GETXATTR_IN_SIZE],
  ["sizeof(struct fuse_getxattr_out)", P.GETXATTR_OUT_SIZE],
  ["sizeof(struct fuse_access_in)", P.ACCESS_IN_SIZE],
  ["sizeof(struct fuse_forget_in)", P.FORGET_IN_SIZE],
  ["sizeof(struct fuse_forget_one)", P.FORGET_ONE_SIZE],
  ["sizeof(struct fuse_batch_forget_in)", P.BATCH_FORGET_IN_SIZE],
  ["sizeof(struct fuse_interrupt_in)", P.INTERRUPT_IN_SIZE],
  ["sizeof(struct fuse_mkdir_in)", P.MKDIR_IN_SIZE],
  ["sizeof(struct fuse_mknod_in)", P.MKNOD_IN_SIZE],
  ["sizeof(struct fuse_rename_in)", P.RENAME_IN_SIZE],
  ["sizeof(struct fuse_rename2_in)", P.RENAME2_IN_SIZE],
  ["sizeof(struct fuse_link_in)", P.LINK_IN_SIZE],
  ["sizeof(struct fuse_create_in)", P.CREATE_IN_SIZE],
  ["sizeof(struct fuse_fsync_in)", P.FSYNC_IN_SIZE],
  ["FUSE_COMPAT_SETXATTR_IN_SIZE", P.SETXATTR_IN_COMPAT_SIZE],
  ["FUSE_NAME_OFFSET", P.DIRENT_NAME_OFFSET],
  ["FUSE_NAME_OFFSET_DIRENTPLUS", P.DIRENTPLUS_NAME_OFFSET],
  ["FUSE_DEV_IOC_CLONE", P.FUSE_DEV_IOC_CLONE],
  ["FUSE_ROOT_ID", P.ROOT_ID],
  ["FOPEN_KEEP_CACHE", P.FOPEN_KEEP_CACHE],
  ["FUSE_ASYNC_READ", P.Init.ASYNC_READ],
  ["FUSE_DO_READDIRPLUS", P.Init.DO_READDIRPLUS],
  ["FUSE_READDIRPLUS_AUTO", P.Init.READDIRPLUS_AUTO],
  ["FUSE_PARALLEL_DIROPS", P.Init.PARALLEL_DIROPS],
  ["FUSE_MAX_PAGES", P.Init.MAX_PAGES],
  ["FUSE_CACHE_SYMLINKS", P.Init.CACHE_SYMLINKS],
  ["FUSE_INIT", P.Op.INIT],
  ["FUSE_READDIRPLUS", P.Op.READDIRPLUS],
  ["FUSE_BATCH_FORGET", P.Op.BATCH_FORGET],
  ["FUSE_RENAME2", P.Op.RENAME2],
  ["FUSE_TMPFILE", P.Op.TMPFILE],
  ...Object.entries(P.InHdr).map(([k, v]): [string, number] => [`offsetof(struct fuse_in_header, ${snake(k)})`, v]),
  ...Object.entries(P.AttrOff).map(([k, v]): [string, number] => [`offsetof(struct fuse_attr, ${snake(k)})`, v]),
  ...Object.entries(P.EntryOff).map(([k, v]): [string, number] => [`offsetof(struct fuse_entry_out, ${snake(k)})`, v]),
  ...Object.entries(P.AttrOutOff).map(([k, v]): [string, number] => [`offsetof(struct fuse_attr_out, ${snake(k)})`, v]),
  ...Object.entries(P.InitInOff).map(([k, v]): [string, number] => [`offsetof(struct fuse_init_in, ${snake(k)})`, v]),
  ...Object.entries(P.InitOutOff).map(([k, v]): [string, number] => [`offsetof(struct fuse_init_out, ${snake(k)})`, v]),
  ...Object.entries(P.ReadInOff).map(([k, v]): [string, number] => [`offsetof(struct fuse_read_in, ${snake(k)})`, v]),
  ...Object.entries(P.WriteInOff).map(([k, v]): [string, number] => [`offsetof(struct fuse_write_in, ${snake(k)})`, v]),
  ...Object.entries(P.StatfsOff).map(([k, v]): [string, number] => [`offsetof(struct fuse_kstatfs, ${snake(k)})`, v]),
  ...Object.entries(P.DirentOff).map(([k, v]): [string, number] => [`offsetof(struct fuse_dirent, ${snake(k)})`, v]),
  ...Object.entries(P.SetattrOff).map(([k, v]): [string, number] => [`offsetof(struct fuse_setattr_in, ${snake(k)})`, v]),
];

/** entryValidNsec → entry_valid_nsec; the C names run words together in a few places. */
function snake(k: string): string {
  const special: Record<string, string> = { atimensec: "atimensec", mtimensec: "mtimensec", ctimensec: "ctimensec", totalExtlen: "total_extlen" };
  return special[k] ?? k.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
}

describe("struct layout", () => {
  test("sizes match fuse.h (hard-coded)", () => {
    expect(P.ATTR_SIZE).toBe(88);
    expect(P.ENTRY_OUT_SIZE).toBe(128);
    expect(P.ATTR_OUT_SIZE).toBe(104);
    expect(P.INIT_OUT_SIZE).toBe(64);
    expect(P.IN_HEADER_SIZE).toBe(40);
    expect(P.OUT_HEADER_SIZE).toBe(16);
    expect(P.OPEN_OUT_SIZE).toBe(16);
    expect(P.KSTATFS_SIZE).toBe(80);
    expect(P.DIRENTPLUS_NAME_OFFSET).toBe(152);
    expect(P.EntryOff.attr + P.ATTR_SIZE).toBe(P.ENTRY_OUT_SIZE);
    expect(P.AttrOutOff.attr + P.ATTR_SIZE).toBe(P.ATTR_OUT_SIZE);
  });

  const cc = Bun.which("cc");
  const haveHeader = fs.existsSync(FUSE_H);
  test("sizes, offsets and constants match the C compiler's view of fuse.h", () => {
    if (!cc || !haveHeader) {
      console.log(`skipped C cross-check: ${!cc ? "no cc" : `no ${FUSE_H} (apt-get install linux-libc-dev)`}`);
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-fuseh-"));
    try {
      const lines = LAYOUT.map(([expr]) => `  printf("%llu\\n", (unsigned long long)(${expr}));`).join("\n");
      fs.writeFileSync(path.join(dir, "l.c"), `#include <stdio.h>\n#include <stddef.h>\n#include <sys/ioctl.h>\n#include <linux/fuse.h>\nint main(void){\n${lines}\n  return 0;\n}\n`);
      const b = Bun.spawnSync([cc, "-o", path.join(dir, "l"), path.join(dir, "l.c")], { stderr: "pipe" });
      expect(b.stderr.toString()).toBe("");
      const out = Bun.spawnSync([path.join(dir, "l")]).stdout.toString().trim().split("\n").map(Number);
      const got = LAYOUT.map(([expr], i) => `${expr} = ${out[i]}`);
      const want = LAYOUT.map(([expr, v]) => `${expr} = ${v}`);
      expect(got).toEqual(want);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("encoders", () => {
  const buf = Buffer.alloc(4096, 0xee);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

  test("u64 as two halves, exact up to 2^53", () => {
    for (const v of [0, 1, 0xffffffff, 2 ** 32, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER]) {
      P.setU64(dv, 8, v);
      expect(P.getU64(dv, 8)).toBe(v);
      expect(dv.getBigUint64(8, true)).toBe(BigInt(v));
    }
  });

  test("fuse_attr fields land at their offsets", () => {
    buf.fill(0xee);
    P.writeAttr(dv, 0, { ino: 2 ** 33 + 7, mode: 0o100644, size: 3 * 2 ** 20, nlink: 1, uid: 1000, gid: 100, mtime: 1_700_000_000.5 });
    expect(dv.getBigUint64(0, true)).toBe(BigInt(2 ** 33 + 7));
    expect(P.getU64(dv, P.AttrOff.size)).toBe(3 * 2 ** 20);
    expect(P.getU64(dv, P.AttrOff.blocks)).toBe(6144);
    expect(P.getU64(dv, P.AttrOff.mtime)).toBe(1_700_000_000);
    expect(dv.getUint32(P.AttrOff.mtimensec, true)).toBe(500_000_000);
    expect(P.getU64(dv, P.AttrOff.atime)).toBe(1_700_000_000);
    expect(dv.getUint32(P.AttrOff.mode, true)).toBe(0o100644);
    expect(dv.getUint32(P.AttrOff.uid, true)).toBe(1000);
    expect(dv.getUint32(P.AttrOff.gid, true)).toBe(100);
    expect(dv.getUint32(P.AttrOff.blksize, true)).toBe(4096);
    expect(dv.getUint32(P.AttrOff.flags, true)).toBe(0);
    expect(buf[P.ATTR_SIZE]).toBe(0xee); // nothing written past the struct
  });

  test("entry_out: timeouts split into seconds and nanoseconds; negative entry zeroes attr", () => {
    buf.fill(0xee);
    P.writeEntryOut(dv, 0, null, 1.25, 0);
    expect(P.getU64(dv, P.EntryOff.nodeid)).toBe(0);
    expect(P.getU64(dv, P.EntryOff.entryValid)).toBe(1);
    expect(dv.getUint32(P.EntryOff.entryValidNsec, true)).toBe(250_000_000);
    expect(buf.subarray(P.EntryOff.attr, P.ENTRY_OUT_SIZE).every((b) => b === 0)).toBe(true);
    expect(buf[P.ENTRY_OUT_SIZE]).toBe(0xee);
  });

  test("dirent and direntplus records are padded to 8 bytes with zeros", () => {
    const attr = { ino: 42, mode: 0o040755, size: 0, nlink: 2, uid: 0, gid: 0, mtime: 0 };
    for (const plus of [false, true]) {
      for (const name of ["a", "abcdefgh", "ümlaut-名前"]) {
        buf.fill(0xee);
        const nameLen = Buffer.byteLength(name);
        const rec = P.writeDirent(buf, dv, 8, plus, name, nameLen, attr, 77, 1, 1);
        const base = 8 + (plus ? P.ENTRY_OUT_SIZE : 0);
        expect(rec % 8).toBe(0);
        expect(rec).toBe(P.align8((plus ? P.DIRENTPLUS_NAME_OFFSET : P.DIRENT_NAME_OFFSET) + nameLen));
        expect(P.getU64(dv, base + P.DirentOff.ino)).toBe(42);
        expect(P.getU64(dv, base + P.DirentOff.off)).toBe(77);
        expect(dv.getUint32(base + P.DirentOff.namelen, true)).toBe(nameLen);
        expect(dv.getUint32(base + P.DirentOff.type, true)).toBe(4); // DT_DIR
        expect(buf.toString("utf8", base + 24, base + 24 + nameLen)).toBe(name);
        expect(buf.subarray(base + 24 + nameLen, 8 + rec).every((b) => b === 0)).toBe(true);
        expect(buf[8 + rec]).toBe(0xee);
        if (plus) expect(P.getU64(dv, 8 + P.EntryOff.nodeid)).toBe(42);
      }
    }
  });

  test("direntplus for . and .. carries nodeid 0 (no lookup reference)", () => {
    const attr = { ino: 1, mode: 0o040755, size: 0, nlink: 2, uid: 0, gid: 0, mtime: 0 };
    P.writeDirent(buf, dv, 0, true, "..", 2, attr, 2, 1, 1);
    expect(P.getU64(dv, P.EntryOff.nodeid)).toBe(0);
    expect(P.getU64(dv, P.ENTRY_OUT_SIZE + P.DirentOff.ino)).toBe(1);
  });

  test("out header carries a negative errno and the request's unique", () => {
    P.writeOutHeader(dv, 16, -2, 0x12345678, 0x9);
    expect(dv.getUint32(0, true)).toBe(16);
    expect(dv.getInt32(4, true)).toBe(-2);
    expect(dv.getBigUint64(8, true)).toBe(0x9_12345678n);
  });
});
