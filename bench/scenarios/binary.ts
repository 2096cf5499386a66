// Where the compiled `musicfs` is, for the scenarios that spawn it.
import * as fs from "node:fs";
import * as path from "node:path";

/** True inside a `bun build --compile` executable (modules live under /$bunfs/). */
const COMPILED = Bun.main.startsWith("/$bunfs/");

/**
 * MUSICFS_BIN if set; the running executable when `musicfs bench` is itself the compiled binary;
 * else dist/musicfs of this checkout, then of the current directory. Undefined when none exists.
 */
export function findMusicfsBinary(): string | undefined {
  const candidates = [
    process.env.MUSICFS_BIN,
    COMPILED ? process.execPath : undefined,
    COMPILED ? undefined : path.resolve(import.meta.dir, "../../dist/musicfs"),
    path.resolve("dist/musicfs"),
  ];
  for (const c of candidates) {
    if (c && fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  }
  return undefined;
}

/** Shown after "skipped: " (the runner adds the status). */
export const NOT_BUILT = "run npm run build (dist/musicfs not found)";
