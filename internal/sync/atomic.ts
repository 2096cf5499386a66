// Crash-safe replacement of one file: write a temp file in the target's own folder (same file
// system, so rename is atomic), fsync it, rename it over the target, fsync the folder. A kill at
// any instant leaves the old file or the new one, plus at worst a recognisable temp file that the
// next run removes.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { TEMP_PREFIX } from "./paths.ts";

export function tempNameIn(dir: string): string {
  return path.join(dir, TEMP_PREFIX + crypto.randomBytes(6).toString("hex"));
}

export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}

/** fsync of a folder, so a rename or unlink in it survives a power cut. */
export function fsyncDir(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on folders (EINVAL); the rename itself has still happened.
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/** Renames `tmp` over `target` and makes it durable; removes `tmp` if the rename fails. */
export function commitTemp(tmp: string, target: string): void {
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(path.dirname(target));
}

/** Creates or replaces a symlink atomically (symlink at a temp name, then rename). */
export function writeSymlinkAtomic(target: string, linkText: string): void {
  const tmp = tempNameIn(path.dirname(target));
  fs.symlinkSync(linkText, tmp);
  commitTemp(tmp, target);
}

/** Removes stray temp files (from a killed run) found by a walk; returns how many. */
export function removeStrays(absPaths: string[]): number {
  let n = 0;
  const dirs = new Set<string>();
  for (const p of absPaths) {
    try {
      fs.unlinkSync(p);
      dirs.add(path.dirname(p));
      n++;
    } catch {
      // Already gone (a parallel run) is fine.
    }
  }
  for (const d of dirs) fsyncDir(d);
  return n;
}
