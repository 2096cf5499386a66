// Relative paths that may be written under a sync destination. Paths come from a manifest, and a
// remote manifest is hostile input: one ".." or absolute path would write outside the export. So
// every path is checked before any plan uses it, and parent folders are created one component at
// a time without ever following a symlink (a synced symlink "a -> /etc" must not turn a later
// "a/passwd" into a write to /etc/passwd).
import * as fs from "node:fs";
import * as path from "node:path";

/** Linux limits: PATH_MAX 4096 bytes, NAME_MAX 255 bytes. */
export const MAX_PATH_BYTES = 4096;
export const MAX_NAME_BYTES = 255;

/** Names sync uses for itself in a destination; never synced, never deleted by --delete. */
export const TEMP_PREFIX = ".musicfs-tmp-";
export const STAGING_DIR = ".musicfs-staging";

export function isReservedName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) || name === STAGING_DIR;
}

/**
 * Returns why `rel` is not a safe relative path ("a/b.flac"), or null when it is. Refused: empty,
 * absolute, "." or ".." or empty components, NUL, backslashes (a Windows peer's separator would
 * otherwise become part of a name), overlong names or paths, and our own reserved names.
 */
export function relPathProblem(rel: string): string | null {
  if (typeof rel !== "string" || rel.length === 0) return "empty path";
  if (rel.includes("\0")) return "path contains a NUL byte";
  if (rel.includes("\\")) return "path contains a backslash";
  if (rel.startsWith("/")) return "absolute path";
  if (Buffer.byteLength(rel, "utf8") > MAX_PATH_BYTES) return `path longer than ${MAX_PATH_BYTES} bytes`;
  for (const part of rel.split("/")) {
    if (part === "" || part === "." || part === "..") return `path component "${part}" is not allowed`;
    if (Buffer.byteLength(part, "utf8") > MAX_NAME_BYTES) return `name longer than ${MAX_NAME_BYTES} bytes`;
    if (isReservedName(part)) return `name "${part}" is reserved for musicfs sync`;
  }
  return null;
}

export class UnsafePathError extends Error {
  override name = "UnsafePathError";
  constructor(
    readonly rel: string,
    reason: string,
  ) {
    super(`refusing unsafe path ${JSON.stringify(rel.length > 200 ? rel.slice(0, 200) + "…" : rel)}: ${reason}`);
  }
}

export function checkRelPath(rel: string): string {
  const problem = relPathProblem(rel);
  if (problem) throw new UnsafePathError(rel, problem);
  return rel;
}

/**
 * Creates the parent folders of root/rel (mode 0755) and returns the parent's absolute path.
 * Throws if a component exists and is not a real folder (a symlink or a file).
 */
export function ensureParentDir(root: string, rel: string): string {
  const parts = checkRelPath(rel).split("/");
  let dir = root;
  for (let i = 0; i < parts.length - 1; i++) {
    dir = path.join(dir, parts[i]);
    let st: fs.Stats | null = null;
    try {
      st = fs.lstatSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    if (st === null) {
      try {
        fs.mkdirSync(dir, { mode: 0o755 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      st = fs.lstatSync(dir);
    }
    if (!st.isDirectory()) throw new Error(`${dir}: exists and is not a folder (${st.isSymbolicLink() ? "a symlink" : "a file"}); not writing through it`);
  }
  return dir;
}

/** True if no component of root/rel above the file itself is a symlink (safe to read or remove). */
export function parentIsReal(root: string, rel: string): boolean {
  const parts = rel.split("/");
  let dir = root;
  for (let i = 0; i < parts.length - 1; i++) {
    dir = path.join(dir, parts[i]);
    try {
      if (!fs.lstatSync(dir).isDirectory()) return false;
    } catch {
      return false;
    }
  }
  return true;
}
