// The few libc calls Bun has no API for, through bun:ffi: mount/umount2 (root mounts), ioctl
// (FUSE_DEV_IOC_CLONE), flock (the daemon lock), poll (waiting on /dev/fuse with a timeout while
// async replies are pending), socketpair/recvmsg (receiving the fd from fusermount3 via
// SCM_RIGHTS). Loaded lazily so importing this module costs nothing where it is not used.
// Layouts assume LP64 Linux (x86_64, aarch64).
import { dlopen, FFIType, ptr, read } from "bun:ffi";

const { i32, u64, ptr: P } = FFIType;

function open() {
  return dlopen("libc.so.6", {
    mount: { args: [P, P, P, u64, P], returns: i32 },
    umount2: { args: [P, i32], returns: i32 },
    ioctl: { args: [i32, u64, P], returns: i32 },
    flock: { args: [i32, i32], returns: i32 },
    poll: { args: [P, u64, i32], returns: i32 },
    fcntl: { args: [i32, i32, i32], returns: i32 },
    socketpair: { args: [i32, i32, i32, P], returns: i32 },
    recvmsg: { args: [i32, P, i32], returns: FFIType.i64 },
    __errno_location: { args: [], returns: P },
  }).symbols;
}

let lib: ReturnType<typeof open> | null = null;
function libc(): ReturnType<typeof open> {
  return (lib ??= open());
}

/** errno of the last failed call on this thread (read right after the call). */
function errno(): number {
  const p = libc().__errno_location();
  return p === null ? 0 : read.i32(p, 0);
}

/** An Error shaped like node's (code, errno, syscall) so callers can test `code`. */
export class SysError extends Error {
  constructor(
    readonly syscall: string,
    readonly errno: number,
    readonly code: string,
    detail = "",
  ) {
    super(`${syscall}${detail ? " " + detail : ""}: ${code} (errno ${errno})`);
  }
}

const codes: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 4: "EINTR", 9: "EBADF", 11: "EAGAIN", 13: "EACCES", 16: "EBUSY", 19: "ENODEV",
  20: "ENOTDIR", 22: "EINVAL", 25: "ENOTTY", 107: "ENOTCONN",
};

function fail(syscall: string, detail = ""): never {
  const e = errno();
  throw new SysError(syscall, e, codes[e] ?? `E${e}`, detail);
}

function cstr(s: string): Buffer {
  return Buffer.from(s + "\0", "utf8");
}

export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_RDONLY = 1;
export const MNT_DETACH = 2;

export function mount(source: string, target: string, fstype: string, flags: number, data: string): void {
  const r = libc().mount(ptr(cstr(source)), ptr(cstr(target)), ptr(cstr(fstype)), flags, ptr(cstr(data)));
  if (r !== 0) fail("mount", target);
}

export function umount2(target: string, flags: number): void {
  if (libc().umount2(ptr(cstr(target)), flags) !== 0) fail("umount2", target);
}

/** Clones the FUSE session of `masterFd` onto `newFd` (a freshly opened /dev/fuse). */
export function fuseClone(newFd: number, masterFd: number, request: number): void {
  const arg = new Uint32Array([masterFd]);
  if (libc().ioctl(newFd, request, ptr(arg)) !== 0) fail("ioctl(FUSE_DEV_IOC_CLONE)");
}

export const LOCK_EX = 2;
export const LOCK_NB = 4;

/** Non-blocking exclusive flock; false when another open file description holds it. */
export function tryFlock(fd: number): boolean {
  if (libc().flock(fd, LOCK_EX | LOCK_NB) === 0) return true;
  const e = errno();
  if (e === 11) return false; // EWOULDBLOCK
  throw new SysError("flock", e, codes[e] ?? `E${e}`);
}

const POLLIN = 1;
/** A pollfd per caller thread: poll is used from workers, each with its own module instance. */
const pollfd = new Uint8Array(8);
const pollView = new DataView(pollfd.buffer);

/** Waits up to timeoutMs for fd to become readable. Returns true when readable (or on error, so the read reports it). */
export function pollReadable(fd: number, timeoutMs: number): boolean {
  pollView.setInt32(0, fd, true);
  pollView.setInt16(4, POLLIN, true);
  pollView.setInt16(6, 0, true);
  const r = libc().poll(ptr(pollfd), 1, timeoutMs);
  if (r < 0) return errno() !== 4; // EINTR: not readable yet
  return r > 0;
}

const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;

/** Makes reads on fd return EAGAIN instead of blocking. */
export function setNonBlocking(fd: number): void {
  const flags = libc().fcntl(fd, F_GETFL, 0);
  if (flags < 0 || libc().fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw new Error(`fcntl(O_NONBLOCK) failed: errno ${errno()}`);
}

export const SOCK_STREAM = 1;
export const SOCK_SEQPACKET = 5;

/** An AF_UNIX socket pair (no CLOEXEC on purpose: one end is handed to a child). */
export function socketpair(type = SOCK_STREAM): [number, number] {
  const sv = new Int32Array(2);
  if (libc().socketpair(1 /* AF_UNIX */, type, 0, ptr(sv)) !== 0) fail("socketpair");
  return [sv[0], sv[1]];
}

function putPtr(dv: DataView, off: number, p: number): void {
  dv.setUint32(off, p >>> 0, true);
  dv.setUint32(off + 4, Math.floor(p / 4294967296), true);
}

/**
 * Receives one file descriptor sent with SCM_RIGHTS on `sock` (what fusermount3 does over
 * _FUSE_COMMFD). Returns -1 when the peer closed without sending one.
 */
export function recvFd(sock: number): number {
  const data = new Uint8Array(1);
  const iov = new Uint8Array(16);
  const control = new Uint8Array(24); // CMSG_SPACE(sizeof(int)) = 16 + 8
  const msg = new Uint8Array(56); // struct msghdr
  const iv = new DataView(iov.buffer);
  putPtr(iv, 0, ptr(data));
  putPtr(iv, 8, 1);
  const mv = new DataView(msg.buffer);
  putPtr(mv, 16, ptr(iov)); // msg_iov
  putPtr(mv, 24, 1); // msg_iovlen
  putPtr(mv, 32, ptr(control)); // msg_control
  putPtr(mv, 40, control.length); // msg_controllen
  for (;;) {
    const n = Number(libc().recvmsg(sock, ptr(msg), 0));
    if (n < 0) {
      if (errno() === 4) continue;
      fail("recvmsg");
    }
    if (n === 0) return -1;
    const cv = new DataView(control.buffer);
    const level = cv.getInt32(8, true);
    const type = cv.getInt32(12, true);
    if (level !== 1 /* SOL_SOCKET */ || type !== 1 /* SCM_RIGHTS */) return -1;
    return cv.getInt32(16, true);
  }
}
