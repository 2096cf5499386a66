// The request loop of one /dev/fuse fd: read one request, dispatch it to the FileSystem, write
// one reply. Runs inside a Worker (a blocking read on the main thread would stall its event loop,
// timers and signal handlers). Buffers are allocated once; the hot ops (LOOKUP, GETATTR, READ,
// READDIR) decode with a DataView and encode in place, so a request allocates at most the name
// string. A Promise from the FS is answered when it settles; meanwhile the loop polls the fd with a
// 1 ms timeout and yields so the worker's event loop can settle it.
import * as fs from "node:fs";
import * as E from "./errno.ts";
import type { DirSink, FileSystem, OpenReply, RequestContext, SetAttrRequest } from "./filesystem.ts";
import { pollReadable, setNonBlocking } from "./libc.ts";
import { OpStatsRecorder } from "./op-stats.ts";
import {
  type Attr,
  ATTR_OUT_SIZE,
  cstringEnd,
  DIRENT_NAME_OFFSET,
  DIRENTPLUS_NAME_OFFSET,
  ENTRY_OUT_SIZE,
  getU64,
  GETXATTR_OUT_SIZE,
  IN_HEADER_SIZE,
  InHdr,
  KSTATFS_SIZE,
  Op,
  OPEN_OUT_SIZE,
  OUT_HEADER_SIZE,
  ReadInOff,
  SetattrOff,
  type StatFs,
  WRITE_OUT_SIZE,
  WriteInOff,
  writeAttrOut,
  writeDirent,
  writeEntryOut,
  writeOpenOut,
  writeOutHeader,
  writeStatfs,
  align8,
} from "./proto.ts";

export interface SessionConfig {
  fd: number;
  /** Negotiated max_write; the read buffer must hold max_write + 4096 or reads fail with EINVAL. */
  maxWrite: number;
  /** Largest READ/READDIR reply payload (max_pages * 4096). */
  maxRead: number;
  entryTimeout: number;
  attrTimeout: number;
  /** Cache time for ENOENT lookups (0 = not cached). */
  negativeTimeout: number;
  worker: number;
  /** Per-opcode counters shared with the main thread (op-stats.ts); absent: not recorded. */
  stats?: SharedArrayBuffer;
}

const H = OUT_HEADER_SIZE;
const DEFAULT_STATFS: StatFs = { blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, bsize: 4096, namelen: 255, frsize: 4096 };
const DEFAULT_OPEN: OpenReply = { fh: 0, flags: 0 };
const O_ACCMODE = 3;
const O_TRUNC = 0o1000;

function log(msg: string): void {
  try {
    fs.writeSync(2, `musicfs fuse: ${msg}\n`); // console.* from workers has lost lines
  } catch {}
}

function isPromise(v: unknown): v is Promise<unknown> {
  return v !== null && typeof v === "object" && typeof (v as { then?: unknown }).then === "function";
}

/** Writes dirents into the session's reply buffer (one instance per session, reset per request). */
class Sink implements DirSink {
  pos = H;
  end = H;
  plus = false;
  constructor(
    private readonly buf: Buffer,
    private readonly dv: DataView,
    private readonly entryTtl: number,
    private readonly attrTtl: number,
  ) {}

  reset(size: number, plus: boolean): void {
    this.pos = H;
    this.end = H + size;
    this.plus = plus;
  }

  add(name: string, attr: Attr, nextOffset: number, noEntry = false): boolean {
    const nameLen = Buffer.byteLength(name, "utf8");
    const rec = align8((this.plus ? DIRENTPLUS_NAME_OFFSET : DIRENT_NAME_OFFSET) + nameLen);
    if (this.pos + rec > this.end) return false;
    this.pos += writeDirent(this.buf, this.dv, this.pos, this.plus, name, nameLen, attr, nextOffset, this.entryTtl, this.attrTtl, noEntry);
    return true;
  }
}

export class Session {
  private readonly fd: number;
  private readonly inBuf: Buffer;
  private readonly inView: DataView;
  private readonly outBuf: Buffer;
  private readonly outView: DataView;
  /** The READ payload area of outBuf (after the 16-byte header), handed to FileSystem.read. */
  private readonly dst: Uint8Array;
  private readonly sink: Sink;
  private readonly ctx: RequestContext = { uid: 0, gid: 0, pid: 0 };
  private readonly setattrReq: SetAttrRequest = { valid: 0, fh: 0, size: 0, mode: 0, uid: 0, gid: 0, atime: 0, mtime: 0 };
  /** unique → [opcode, start ms] while an async reply is outstanding; INTERRUPT answers EINTR and drops it. */
  private readonly pending = new Map<number, [number, number]>();
  private readonly stats: OpStatsRecorder | null;
  /** The request being answered: its opcode and when it arrived (performance.now()). */
  private curOp = 0;
  private curStart = 0;
  private uniqueLo = 0;
  private uniqueHi = 0;
  private stopped = false;

  constructor(
    private readonly fsys: FileSystem,
    private readonly cfg: SessionConfig,
  ) {
    this.fd = cfg.fd;
    this.stats = cfg.stats ? new OpStatsRecorder(cfg.stats) : null;
    this.inBuf = Buffer.allocUnsafe(cfg.maxWrite + 4096);
    this.inView = new DataView(this.inBuf.buffer, this.inBuf.byteOffset, this.inBuf.byteLength);
    this.outBuf = Buffer.alloc(H + Math.max(cfg.maxRead, 1 << 20));
    this.outView = new DataView(this.outBuf.buffer, this.outBuf.byteOffset, this.outBuf.byteLength);
    this.dst = this.outBuf.subarray(H);
    this.sink = new Sink(this.outBuf, this.outView, cfg.entryTimeout, cfg.attrTimeout);
  }

  /** Serves until the connection goes away (ENODEV after unmount). Resolves with the reason. */
  async run(): Promise<string> {
    // Non-blocking reads: the fds of all workers share one kernel queue, so "readable" from poll
    // can be stale by the time this worker reads (another worker took the request). A blocking
    // read would then park this thread with async replies outstanding, never to send them.
    setNonBlocking(this.fd);
    while (!this.stopped) {
      if (this.pending.size > 0) {
        // Async replies outstanding: give the event loop a turn before every request (a steady
        // stream of requests must not starve them), then wait for the fd at most 1 ms.
        await new Promise<void>((r) => setImmediate(r));
        if (this.pending.size > 0 && !pollReadable(this.fd, 1)) continue;
      } else if (!pollReadable(this.fd, -1)) continue;
      const end = this.runOnce();
      if (end !== null) return end;
    }
    return "stopped";
  }

  /** Reads and answers one request (blocking). Returns null to go on, or why the loop must end. */
  runOnce(): string | null {
    const inBuf = this.inBuf;
    let n: number;
    try {
      n = fs.readSync(this.fd, inBuf, 0, inBuf.length, null);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "EINTR" || code === "EAGAIN" || code === "ENOENT") return null;
      if (code === "ENODEV" || code === "EBADF") return "unmounted";
      if (code === "ECONNABORTED") return "aborted";
      log(`worker ${this.cfg.worker}: read failed: ${String(e)}`);
      return `read failed: ${code ?? String(e)}`;
    }
    if (n === 0) return "eof";
    if (n < IN_HEADER_SIZE) {
      log(`short request of ${n} bytes`);
      return null;
    }
    this.dispatch(n);
    return this.stopped ? "destroyed" : null;
  }

  /** Async replies still outstanding. */
  get pendingCount(): number {
    return this.pending.size;
  }

  stop(): void {
    this.stopped = true;
  }

  // ---- reply helpers: all write outBuf then one writeSync ----

  private send(len: number, error: number, lo: number, hi: number): void {
    this.stats?.record(this.curOp, error !== 0, (performance.now() - this.curStart) / 1000);
    writeOutHeader(this.outView, len, error, lo, hi);
    try {
      fs.writeSync(this.fd, this.outBuf, 0, len);
    } catch (e) {
      const code = (e as { code?: string }).code;
      // ENOENT: the request was interrupted or aborted meanwhile; ENODEV: unmounted.
      if (code !== "ENOENT" && code !== "ENODEV") log(`reply failed: ${String(e)}`);
    }
  }

  private ok(len: number): void {
    this.send(H + len, 0, this.uniqueLo, this.uniqueHi);
  }

  private err(errno: number): void {
    this.send(H, -Math.abs(errno), this.uniqueLo, this.uniqueHi);
  }

  /**
   * Answers a value that may be a Promise: `encode` writes the success reply into outBuf for the
   * current unique and returns nothing. Errors (negative numbers or throws) become error replies.
   */
  private settle<T>(v: T | Promise<T>, encode: (v: T) => void): void {
    if (!isPromise(v)) {
      if (typeof v === "number" && v < 0) this.err(v);
      else encode(v as T);
      return;
    }
    const lo = this.uniqueLo;
    const hi = this.uniqueHi;
    const key = lo + hi * 4294967296;
    const started: [number, number] = [this.curOp, this.curStart];
    this.pending.set(key, started);
    (v as Promise<T>).then(
      (r) => {
        if (!this.pending.delete(key)) return; // interrupted and already answered
        this.uniqueLo = lo;
        this.uniqueHi = hi;
        [this.curOp, this.curStart] = started;
        try {
          if (typeof r === "number" && r < 0) this.err(r);
          else encode(r);
        } catch (e) {
          this.err(E.errnoOf(e));
        }
      },
      (e) => {
        if (!this.pending.delete(key)) return;
        [this.curOp, this.curStart] = started;
        this.send(H, -E.errnoOf(e), lo, hi);
      },
    );
  }

  private replyEntry = (a: Attr | number): void => {
    writeEntryOut(this.outView, H, a as Attr, this.cfg.entryTimeout, this.cfg.attrTimeout);
    this.ok(ENTRY_OUT_SIZE);
  };

  private replyAttr = (a: Attr | number): void => {
    writeAttrOut(this.outView, H, a as Attr, this.cfg.attrTimeout);
    this.ok(ATTR_OUT_SIZE);
  };

  private replyOpen = (o: OpenReply | number): void => {
    const r = o as OpenReply;
    writeOpenOut(this.outView, H, r.fh, r.flags ?? 0);
    this.ok(OPEN_OUT_SIZE);
  };

  private replyEmpty = (): void => {
    this.ok(0);
  };

  private replyBytes = (b: Uint8Array | string | number): void => {
    if (typeof b === "string") {
      this.ok(this.outBuf.write(b, H, this.outBuf.length - H, "utf8"));
      return;
    }
    const bytes = b as Uint8Array;
    const n = Math.min(bytes.length, this.outBuf.length - H);
    this.outBuf.set(n === bytes.length ? bytes : bytes.subarray(0, n), H);
    this.ok(n);
  };

  private name(off: number, end: number): string {
    return this.inBuf.toString("utf8", off, cstringEnd(this.inBuf, off, end));
  }

  // ---- dispatch ----

  private dispatch(n: number): void {
    const dv = this.inView;
    const opcode = dv.getUint32(InHdr.opcode, true);
    this.curOp = opcode;
    if (this.stats) this.curStart = performance.now();
    this.uniqueLo = dv.getUint32(InHdr.unique, true);
    this.uniqueHi = dv.getUint32(InHdr.unique + 4, true);
    const ino = getU64(dv, InHdr.nodeid);
    const ctx = this.ctx;
    ctx.uid = dv.getUint32(InHdr.uid, true);
    ctx.gid = dv.getUint32(InHdr.gid, true);
    ctx.pid = dv.getUint32(InHdr.pid, true);
    const len = Math.min(n, dv.getUint32(InHdr.len, true));
    const A = IN_HEADER_SIZE;
    const f = this.fsys;
    try {
      switch (opcode) {
        case Op.LOOKUP: {
          const r = f.lookup(ino, this.name(A, len), ctx);
          if (r === -E.ENOENT && this.cfg.negativeTimeout > 0) {
            writeEntryOut(this.outView, H, null, this.cfg.negativeTimeout, 0);
            this.ok(ENTRY_OUT_SIZE);
          } else this.settle(r, this.replyEntry);
          return;
        }
        case Op.GETATTR:
          this.settle(f.getattr(ino, getU64(dv, A + 8), ctx), this.replyAttr);
          return;
        case Op.READ:
          this.read(ino, len);
          return;
        case Op.READDIR:
        case Op.READDIRPLUS: {
          const size = Math.min(dv.getUint32(A + ReadInOff.size, true), this.outBuf.length - H);
          this.sink.reset(size, opcode === Op.READDIRPLUS);
          const r = f.readdir(ino, getU64(dv, A + ReadInOff.fh), getU64(dv, A + ReadInOff.offset), this.sink);
          if (typeof r === "number" && r < 0) this.err(r);
          else this.ok(this.sink.pos - H);
          return;
        }
        case Op.OPEN: {
          const flags = dv.getUint32(A, true);
          if (!f.write && ((flags & O_ACCMODE) !== 0 || (flags & O_TRUNC) !== 0)) return this.err(E.EROFS);
          this.settle(f.open ? f.open(ino, flags, ctx) : DEFAULT_OPEN, this.replyOpen);
          return;
        }
        case Op.OPENDIR:
          this.settle(f.opendir ? f.opendir(ino, dv.getUint32(A, true), ctx) : DEFAULT_OPEN, this.replyOpen);
          return;
        case Op.RELEASE:
          this.settle(f.release ? f.release(ino, getU64(dv, A)) : 0, this.replyEmpty);
          return;
        case Op.RELEASEDIR:
          this.settle(f.releasedir ? f.releasedir(ino, getU64(dv, A)) : 0, this.replyEmpty);
          return;
        case Op.FLUSH:
          this.settle(f.flush ? f.flush(ino, getU64(dv, A)) : 0, this.replyEmpty);
          return;
        case Op.FORGET:
          f.forget?.(ino, getU64(dv, A));
          return; // no reply
        case Op.BATCH_FORGET: {
          if (!f.forget) return;
          const count = dv.getUint32(A, true);
          for (let i = 0, p = A + 8; i < count && p + 16 <= len; i++, p += 16) f.forget(getU64(dv, p), getU64(dv, p + 8));
          return; // no reply
        }
        case Op.INTERRUPT: {
          const key = getU64(dv, A);
          // An outstanding async request is answered EINTR now; its late result is dropped.
          if (this.pending.delete(key)) this.send(H, -E.EINTR, dv.getUint32(A, true), dv.getUint32(A + 4, true));
          return; // no reply to INTERRUPT itself
        }
        case Op.STATFS:
          this.settle(f.statfs ? f.statfs(ino) : DEFAULT_STATFS, (s) => {
            writeStatfs(this.outView, H, s as StatFs);
            this.ok(KSTATFS_SIZE);
          });
          return;
        case Op.READLINK:
          if (!f.readlink) return this.err(E.EINVAL);
          this.settle(f.readlink(ino), this.replyBytes);
          return;
        case Op.ACCESS:
          this.settle(f.access ? f.access(ino, dv.getUint32(A, true), ctx) : 0, this.replyEmpty);
          return;
        case Op.GETXATTR: {
          if (!f.getxattr) return this.err(E.ENOSYS);
          const size = dv.getUint32(A, true);
          this.settle(f.getxattr(ino, this.name(A + 8, len)), (v) => this.replyXattr(v as Uint8Array, size));
          return;
        }
        case Op.LISTXATTR: {
          if (!f.listxattr) return this.err(E.ENOSYS);
          const size = dv.getUint32(A, true);
          this.settle(f.listxattr(ino), (names) => {
            const list = (names as string[]).map((s) => s + "\0").join("");
            this.replyXattr(Buffer.from(list, "utf8"), size);
          });
          return;
        }
        case Op.DESTROY:
          f.destroy?.();
          this.ok(0);
          this.stopped = true;
          return;
        case Op.INIT:
          // INIT is answered by the main thread before workers start; a second one is a protocol error.
          return this.err(E.EPROTO);
        default:
          this.writeOp(opcode, ino, len);
      }
    } catch (e) {
      this.err(E.errnoOf(e));
    }
  }

  private read(ino: number, len: number): void {
    const dv = this.inView;
    const A = IN_HEADER_SIZE;
    const fh = getU64(dv, A + ReadInOff.fh);
    const offset = getU64(dv, A + ReadInOff.offset);
    const size = Math.min(dv.getUint32(A + ReadInOff.size, true), this.dst.length);
    void len;
    const r = this.fsys.read(ino, fh, offset, size, this.dst);
    if (typeof r === "number") {
      if (r < 0) this.err(r);
      else this.ok(Math.min(r, size));
      return;
    }
    if (!isPromise(r)) {
      this.replyBytes(r.length > size ? r.subarray(0, size) : r);
      return;
    }
    this.settle(r, (v) => {
      // dst has been reused since the call returned: an async read must resolve to bytes.
      if (typeof v === "number") return this.err(E.EIO);
      this.replyBytes(v.length > size ? v.subarray(0, size) : v);
    });
  }

  private replyXattr(v: Uint8Array, size: number): void {
    if (size === 0) {
      this.outView.setUint32(H, v.length, true);
      this.outView.setUint32(H + 4, 0, true);
      this.ok(GETXATTR_OUT_SIZE);
    } else if (v.length > size) this.err(E.ERANGE);
    else this.replyBytes(v);
  }

  /** Write operations: routed to optional FS methods, EROFS when the FS has none; unknown ops ENOSYS. */
  private writeOp(opcode: number, ino: number, len: number): void {
    const dv = this.inView;
    const A = IN_HEADER_SIZE;
    const f = this.fsys;
    const ctx = this.ctx;
    switch (opcode) {
      case Op.MKDIR:
        if (!f.mkdir) return this.err(E.EROFS);
        this.settle(f.mkdir(ino, this.name(A + 8, len), dv.getUint32(A, true) & ~dv.getUint32(A + 4, true), ctx), this.replyEntry);
        return;
      case Op.MKNOD:
        if (!f.mknod) return this.err(E.EROFS);
        this.settle(f.mknod(ino, this.name(A + 16, len), dv.getUint32(A, true) & ~dv.getUint32(A + 8, true), dv.getUint32(A + 4, true), ctx), this.replyEntry);
        return;
      case Op.UNLINK:
        if (!f.unlink) return this.err(E.EROFS);
        this.settle(f.unlink(ino, this.name(A, len), ctx), this.replyEmpty);
        return;
      case Op.RMDIR:
        if (!f.rmdir) return this.err(E.EROFS);
        this.settle(f.rmdir(ino, this.name(A, len), ctx), this.replyEmpty);
        return;
      case Op.RENAME:
      case Op.RENAME2: {
        if (!f.rename) return this.err(E.EROFS);
        const start = opcode === Op.RENAME ? A + 8 : A + 16;
        const flags = opcode === Op.RENAME ? 0 : dv.getUint32(A + 8, true);
        const oldEnd = cstringEnd(this.inBuf, start, len);
        const oldName = this.inBuf.toString("utf8", start, oldEnd);
        const newName = this.name(oldEnd + 1, len);
        this.settle(f.rename(ino, oldName, getU64(dv, A), newName, flags, ctx), this.replyEmpty);
        return;
      }
      case Op.SYMLINK: {
        if (!f.symlink) return this.err(E.EROFS);
        const nameEnd = cstringEnd(this.inBuf, A, len);
        const name = this.inBuf.toString("utf8", A, nameEnd);
        this.settle(f.symlink(ino, name, this.name(nameEnd + 1, len), ctx), this.replyEntry);
        return;
      }
      case Op.LINK:
        if (!f.link) return this.err(E.EROFS);
        this.settle(f.link(getU64(dv, A), ino, this.name(A + 8, len), ctx), this.replyEntry);
        return;
      case Op.SETATTR: {
        if (!f.setattr) return this.err(E.EROFS);
        const r = this.setattrReq;
        r.valid = dv.getUint32(A + SetattrOff.valid, true);
        r.fh = getU64(dv, A + SetattrOff.fh);
        r.size = getU64(dv, A + SetattrOff.size);
        r.atime = getU64(dv, A + SetattrOff.atime) + dv.getUint32(A + SetattrOff.atimensec, true) / 1e9;
        r.mtime = getU64(dv, A + SetattrOff.mtime) + dv.getUint32(A + SetattrOff.mtimensec, true) / 1e9;
        r.mode = dv.getUint32(A + SetattrOff.mode, true);
        r.uid = dv.getUint32(A + SetattrOff.uid, true);
        r.gid = dv.getUint32(A + SetattrOff.gid, true);
        this.settle(f.setattr(ino, r, ctx), this.replyAttr);
        return;
      }
      case Op.CREATE: {
        if (!f.create) return this.err(E.EROFS);
        const mode = dv.getUint32(A + 4, true) & ~dv.getUint32(A + 8, true);
        this.settle(f.create(ino, this.name(A + 16, len), mode, dv.getUint32(A, true), ctx), (r) => {
          const c = r as { attr: Attr; open: OpenReply };
          writeEntryOut(this.outView, H, c.attr, this.cfg.entryTimeout, this.cfg.attrTimeout);
          writeOpenOut(this.outView, H + ENTRY_OUT_SIZE, c.open.fh, c.open.flags ?? 0);
          this.ok(ENTRY_OUT_SIZE + OPEN_OUT_SIZE);
        });
        return;
      }
      case Op.WRITE: {
        if (!f.write) return this.err(E.EROFS);
        const size = dv.getUint32(A + WriteInOff.size, true);
        const data = this.inBuf.subarray(A + 40, Math.min(A + 40 + size, len));
        this.settle(f.write(ino, getU64(dv, A + WriteInOff.fh), getU64(dv, A + WriteInOff.offset), data, ctx), (w) => {
          this.outView.setUint32(H, w as number, true);
          this.outView.setUint32(H + 4, 0, true);
          this.ok(WRITE_OUT_SIZE);
        });
        return;
      }
      case Op.SETXATTR: {
        if (!f.setxattr) return this.err(E.EROFS);
        // Without FUSE_SETXATTR_EXT the kernel sends the 8-byte compat struct: size, flags.
        const size = dv.getUint32(A, true);
        const nameEnd = cstringEnd(this.inBuf, A + 8, len);
        const value = this.inBuf.subarray(nameEnd + 1, Math.min(nameEnd + 1 + size, len));
        this.settle(f.setxattr(ino, this.inBuf.toString("utf8", A + 8, nameEnd), value, dv.getUint32(A + 4, true)), this.replyEmpty);
        return;
      }
      case Op.REMOVEXATTR:
        if (!f.removexattr) return this.err(E.EROFS);
        this.settle(f.removexattr(ino, this.name(A, len)), this.replyEmpty);
        return;
      case Op.FALLOCATE:
      case Op.TMPFILE:
      case Op.COPY_FILE_RANGE:
        return this.err(E.EROFS);
      default:
        // STATX, FSYNC, FSYNCDIR, locks, IOCTL, POLL, LSEEK, BMAP, ...: the kernel remembers ENOSYS
        // for most of these and falls back (STATX → GETATTR, locks → local, fsync → no-op).
        return this.err(E.ENOSYS);
    }
  }
}
