// Mount-relative paths of namespace edits, checked before anything is stored: a name comes from
// the kernel or the command line, so "..", NUL and overlong names must be refused, not stored.
import * as os from "node:os";
import { byteLength, NAME_MAX_BYTES, TRASH_DIR } from "../vfs/index.ts";

const ERRNO = os.constants.errno as Record<string, number>;

export type NsCode = "ENOENT" | "EEXIST" | "ENOTDIR" | "EISDIR" | "ENOTEMPTY" | "EINVAL" | "ENAMETOOLONG" | "EPERM" | "EBUSY";

/**
 * A refused edit. `code` is the errno name (the FUSE layer maps a thrown error with a `code` to its
 * errno), `errno` the positive number: a handler may also `return -e.errno`.
 */
export class NamespaceError extends Error {
  override name = "NamespaceError";
  readonly errno: number;
  constructor(
    readonly code: NsCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.errno = ERRNO[code];
  }
}

/** Refuses a name no folder entry may have; returns it unchanged (user names are not sanitised). */
export function checkName(name: string): string {
  if (name === "" || name === "." || name === "..") throw new NamespaceError("EINVAL", `invalid name ${JSON.stringify(name)}`);
  if (name.includes("/") || name.includes("\0")) throw new NamespaceError("EINVAL", `a name may not hold "/" or NUL: ${JSON.stringify(name)}`);
  if (byteLength(name) > NAME_MAX_BYTES) throw new NamespaceError("ENAMETOOLONG", `name longer than ${NAME_MAX_BYTES} bytes`);
  return name;
}

/** "/Artist//Album/" → ["Artist", "Album"]; "/" → []. Every part checked; "." and ".." refused, not resolved. */
export function splitPath(path: string): string[] {
  if (path.includes("\0")) throw new NamespaceError("EINVAL", "a path may not hold NUL");
  return path.split("/").filter((p) => p !== "").map(checkName);
}

export function joinPath(segs: readonly string[]): string {
  return segs.join("/");
}

/** Whether a path is the trash folder or inside it. */
export function inTrash(segs: readonly string[]): boolean {
  return segs[0] === TRASH_DIR;
}

/** Root names the mount answers itself (search and collection folders): never a user's. */
export const RESERVED_ROOT_NAMES: ReadonlySet<string> = new Set([TRASH_DIR, ".search", ".collections"]);
