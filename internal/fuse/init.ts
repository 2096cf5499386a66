// The INIT handshake, answered on the main thread right after mount(2): the kernel queues INIT
// during the mount, so it is already waiting, and no other request comes before the reply. Doing
// it here means workers start with the negotiated sizes and a failed handshake fails startFuse.
import * as fs from "node:fs";
import { pollReadable } from "./libc.ts";
import {
  IN_HEADER_SIZE,
  Init,
  INIT_OUT_SIZE,
  InHdr,
  InitInOff,
  InitOutOff,
  KERNEL_MINOR_VERSION,
  KERNEL_VERSION,
  Op,
  OUT_HEADER_SIZE,
  writeOutHeader,
} from "./proto.ts";

export interface InitWanted {
  maxWrite: number;
  maxPages: number;
  readdirplus: boolean;
  maxBackground: number;
}

export interface Negotiated {
  major: number;
  minor: number;
  kernelMinor: number;
  flags: number;
  maxWrite: number;
  maxRead: number;
  maxReadahead: number;
}

const WANT =
  Init.ASYNC_READ | Init.BIG_WRITES | Init.PARALLEL_DIROPS | Init.MAX_PAGES | Init.AUTO_INVAL_DATA | Init.CACHE_SYMLINKS | Init.ASYNC_DIO | Init.ATOMIC_O_TRUNC;

/** Reads the INIT request from fd (waiting up to timeoutMs) and replies. */
export function negotiateInit(fd: number, want: InitWanted, timeoutMs = 5000): Negotiated {
  const buf = Buffer.alloc(want.maxWrite + 4096);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (!pollReadable(fd, timeoutMs)) throw new Error("FUSE INIT did not arrive");
  const n = fs.readSync(fd, buf, 0, buf.length, null);
  if (n < IN_HEADER_SIZE + 16 || dv.getUint32(InHdr.opcode, true) !== Op.INIT) throw new Error(`expected FUSE INIT, got opcode ${dv.getUint32(InHdr.opcode, true)}`);
  const lo = dv.getUint32(InHdr.unique, true);
  const hi = dv.getUint32(InHdr.unique + 4, true);
  const A = IN_HEADER_SIZE;
  const major = dv.getUint32(A + InitInOff.major, true);
  const kernelMinor = dv.getUint32(A + InitInOff.minor, true);
  const maxReadahead = dv.getUint32(A + InitInOff.maxReadahead, true);
  const kflags = dv.getUint32(A + InitInOff.flags, true);
  const out = Buffer.alloc(OUT_HEADER_SIZE + INIT_OUT_SIZE);
  const ov = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (major !== KERNEL_VERSION || kernelMinor < 12) {
    // A newer major: answer with ours and the kernel retries or gives up; older: unsupported.
    writeOutHeader(ov, OUT_HEADER_SIZE + 8, 0, lo, hi);
    ov.setUint32(OUT_HEADER_SIZE, KERNEL_VERSION, true);
    fs.writeSync(fd, out, 0, OUT_HEADER_SIZE + 8);
    throw new Error(`unsupported FUSE protocol ${major}.${kernelMinor}`);
  }
  const minor = Math.min(kernelMinor, KERNEL_MINOR_VERSION);
  let flags = kflags & WANT;
  if (want.readdirplus) flags |= kflags & (Init.DO_READDIRPLUS | Init.READDIRPLUS_AUTO);
  const maxPages = flags & Init.MAX_PAGES ? want.maxPages : 32;
  const maxWrite = Math.min(want.maxWrite, maxPages * 4096);
  const O = OUT_HEADER_SIZE;
  ov.setUint32(O + InitOutOff.major, KERNEL_VERSION, true);
  ov.setUint32(O + InitOutOff.minor, minor, true);
  ov.setUint32(O + InitOutOff.maxReadahead, maxReadahead, true);
  ov.setUint32(O + InitOutOff.flags, flags, true);
  ov.setUint16(O + InitOutOff.maxBackground, want.maxBackground, true);
  ov.setUint16(O + InitOutOff.congestionThreshold, Math.floor((want.maxBackground * 3) / 4), true);
  ov.setUint32(O + InitOutOff.maxWrite, maxWrite, true);
  ov.setUint32(O + InitOutOff.timeGran, 1, true);
  ov.setUint16(O + InitOutOff.maxPages, maxPages, true);
  writeOutHeader(ov, O + INIT_OUT_SIZE, 0, lo, hi);
  fs.writeSync(fd, out, 0, O + INIT_OUT_SIZE);
  return { major, minor, kernelMinor, flags, maxWrite, maxRead: maxPages * 4096, maxReadahead };
}
