// Origin-relative path checks. Paths come from tags, configs and clients, so they are hostile
// until checked: no NUL, no "..", no empty or "." components games, no backslash tricks.
import { OriginError } from "./types.ts";

const MAX_PATH = 4096;

/**
 * Normalises an origin path to its components ("/a/b.flac" → ["a","b.flac"]; "/" → []).
 * Rejects instead of resolving "..": a path that needs ".." to be valid is not one we serve.
 * A leading "/" means the origin root, never the host root.
 */
export function splitOriginPath(path: string, originId?: string): string[] {
  if (typeof path !== "string") throw new OriginError("EPATH", "path is not a string", originId);
  if (path.length > MAX_PATH) throw new OriginError("EPATH", "path too long", originId);
  if (path.includes("\0")) throw new OriginError("EPATH", "path contains NUL", originId);
  const parts: string[] = [];
  for (const p of path.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") throw new OriginError("EPATH", `path escapes the origin root: ${JSON.stringify(path)}`, originId);
    if (p.length > 255) throw new OriginError("EPATH", "path component too long", originId);
    parts.push(p);
  }
  return parts;
}

/** Canonical form with a leading "/" and no trailing one. */
export function normalizeOriginPath(path: string, originId?: string): string {
  return "/" + splitOriginPath(path, originId).join("/");
}

/** Joins a directory and a child name, both already checked. */
export function joinOriginPath(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}
