// Linux errno values used by the FUSE layer, and the mapping of thrown errors to them. A file
// system returns a negative errno (e.g. `-ENOENT`) or throws; throwing is slower but lets code
// that calls node:fs pass its errors through unchanged.
import * as os from "node:os";

export const EPERM = 1;
export const ENOENT = 2;
export const EINTR = 4;
export const EIO = 5;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const ENOTDIR = 20;
export const EISDIR = 21;
export const EINVAL = 22;
export const ENOSPC = 28;
export const EROFS = 30;
export const ERANGE = 34;
export const ENAMETOOLONG = 36;
export const ENOSYS = 38;
export const ENOTEMPTY = 39;
export const ENODATA = 61;
export const EPROTO = 71;
export const EOPNOTSUPP = 95;
export const ENOTCONN = 107;
export const ETIMEDOUT = 110;

/** An error carrying an errno for the kernel; throw it from a FileSystem method. */
export class FuseError extends Error {
  constructor(readonly errno: number, message?: string) {
    super(message ?? `errno ${errno}`);
  }
}

const byCode = os.constants.errno as Record<string, number>;

/** The positive errno for anything thrown by a FileSystem (EIO when unknown). */
export function errnoOf(e: unknown): number {
  if (e instanceof FuseError) return Math.abs(e.errno);
  if (e !== null && typeof e === "object") {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && byCode[code] !== undefined) return byCode[code];
    const errno = (e as { errno?: unknown }).errno;
    if (typeof errno === "number" && errno !== 0) return Math.abs(errno);
  }
  return EIO;
}
