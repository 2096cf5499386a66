// systemd's readiness protocol (sd_notify): a datagram like "READY=1" to the Unix socket named by
// $NOTIFY_SOCKET. Node has no Unix datagram sockets, so this goes through libc with bun:ffi.
// Without NOTIFY_SOCKET (not under systemd Type=notify) every call is a no-op.
import { dlopen, FFIType, ptr } from "bun:ffi";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;

let libc: ReturnType<typeof openLibc> | null = null;
function openLibc() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    sendto: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i64 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
  }).symbols;
}

/** Sends `state` (e.g. "READY=1\nSTATUS=mounted") to systemd. Returns false when not under systemd or on failure. */
export function sdNotify(state: string, socketPath = process.env.NOTIFY_SOCKET): boolean {
  if (!socketPath) return false;
  // sockaddr_un: sa_family (2 bytes) + sun_path (108); "@name" is the abstract namespace (leading NUL).
  const addr = new Uint8Array(110);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  const pathBytes = new TextEncoder().encode(socketPath);
  if (pathBytes.length > 107) return false;
  addr.set(pathBytes, 2);
  if (socketPath.startsWith("@")) addr[2] = 0;
  const addrLen = 2 + pathBytes.length + (socketPath.startsWith("@") ? 0 : 1);
  libc ??= openLibc();
  const fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  try {
    const msg = new TextEncoder().encode(state);
    return Number(libc.sendto(fd, ptr(msg), msg.length, 0, ptr(addr), addrLen)) === msg.length;
  } finally {
    libc.close(fd);
  }
}
