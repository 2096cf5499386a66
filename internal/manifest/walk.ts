// Lists the regular files (and symlinks) under a root, with the metadata that sync and diff plan on.
import * as fs from "node:fs";
import * as path from "node:path";

export interface FileEntry {
  /** Path relative to the root, with "/" separators. A single-file root gives its base name. */
  rel: string;
  abs: string;
  kind: "file" | "symlink";
  size: number;
  mtimeMs: number;
  mode: number;
  /** Symlink target, for kind "symlink". */
  target?: string;
}

export interface WalkProblem {
  path: string;
  error: string;
}

export interface WalkResult {
  files: FileEntry[];
  problems: WalkProblem[];
}

export interface WalkOptions {
  /** Glob patterns (Bun.Glob syntax) matched against the relative path and the base name. */
  exclude?: string[];
}

/** Builds a predicate from exclude patterns; a pattern matches the relative path or any base name. */
export function excludeMatcher(patterns: string[] = []): (rel: string) => boolean {
  const globs = patterns.map((p) => new Bun.Glob(p));
  if (globs.length === 0) return () => false;
  return (rel) => {
    const base = rel.slice(rel.lastIndexOf("/") + 1);
    return globs.some((g) => g.match(rel) || g.match(base));
  };
}

function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (!err?.message) return String(e);
  return err.code && !err.message.startsWith(err.code) ? `${err.code}: ${err.message}` : err.message;
}

/**
 * Walks `root` depth-first in sorted order (so output is stable). Unreadable directories and
 * files that vanish mid-walk are reported in `problems`, never thrown.
 */
export function walkTree(root: string, opts: WalkOptions = {}): WalkResult {
  const excluded = excludeMatcher(opts.exclude);
  const files: FileEntry[] = [];
  const problems: WalkProblem[] = [];
  let st: fs.Stats;
  try {
    st = fs.lstatSync(root);
  } catch (e) {
    problems.push({ path: root, error: errText(e) });
    return { files, problems };
  }
  if (!st.isDirectory()) {
    const entry = statEntry(root, path.basename(root), problems);
    if (entry) files.push(entry);
    return { files, problems };
  }
  const visit = (dirAbs: string, dirRel: string) => {
    let names: string[];
    try {
      names = fs.readdirSync(dirAbs);
    } catch (e) {
      problems.push({ path: dirAbs, error: errText(e) });
      return;
    }
    names.sort();
    for (const name of names) {
      const rel = dirRel ? `${dirRel}/${name}` : name;
      if (excluded(rel)) continue;
      const abs = path.join(dirAbs, name);
      let s: fs.Stats;
      try {
        s = fs.lstatSync(abs);
      } catch (e) {
        problems.push({ path: abs, error: errText(e) });
        continue;
      }
      if (s.isDirectory()) visit(abs, rel);
      else {
        const entry = entryFromStats(abs, rel, s, problems);
        if (entry) files.push(entry);
      }
    }
  };
  visit(root, "");
  return { files, problems };
}

function statEntry(abs: string, rel: string, problems: WalkProblem[]): FileEntry | null {
  try {
    return entryFromStats(abs, rel, fs.lstatSync(abs), problems);
  } catch (e) {
    problems.push({ path: abs, error: errText(e) });
    return null;
  }
}

function entryFromStats(abs: string, rel: string, s: fs.Stats, problems: WalkProblem[]): FileEntry | null {
  if (s.isFile()) return { rel, abs, kind: "file", size: s.size, mtimeMs: s.mtimeMs, mode: s.mode & 0o7777 };
  if (s.isSymbolicLink()) {
    try {
      return { rel, abs, kind: "symlink", size: 0, mtimeMs: s.mtimeMs, mode: s.mode & 0o7777, target: fs.readlinkSync(abs) };
    } catch (e) {
      problems.push({ path: abs, error: errText(e) });
      return null;
    }
  }
  return null; // sockets, fifos, devices: not music, not synced
}

export { errText };
