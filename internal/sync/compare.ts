// The first, cheap step of a plan: compare two listings by metadata only. Used by the local sync
// and by both ends of a remote one, so they agree on what "unchanged" means.

/** What a plan needs to know about one file or symlink (a manifest entry, local or from a peer). */
export interface ListEntry {
  rel: string;
  kind: "file" | "symlink";
  size: number;
  mtimeMs: number;
  mode: number;
  target?: string;
}

/** mtimes closer than this are equal: utimes() keeps about microseconds, some file systems less. */
export const MTIME_TOLERANCE_MS = 1;

export function sameMtime(a: number, b: number): boolean {
  return Math.abs(a - b) < MTIME_TOLERANCE_MS;
}

export interface Comparison {
  /** Source files whose content must be (re)built: new ones and ones whose size/mtime differ. */
  files: { src: ListEntry; dst: ListEntry | null }[];
  /** Same size and mtime: unchanged, but the mode may need fixing. */
  unchanged: { src: ListEntry; dst: ListEntry }[];
  symlinks: { src: ListEntry; dst: ListEntry | null }[];
  /** Destination entries the source does not have (deleted only with --delete). */
  extra: ListEntry[];
}

/** With `checksum`, every file present on both sides counts as a candidate (content decides later). */
export function compareListings(src: ListEntry[], dst: ListEntry[], checksum: boolean): Comparison {
  const dstBy = new Map(dst.map((d) => [d.rel, d]));
  const srcRels = new Set(src.map((s) => s.rel));
  const out: Comparison = { files: [], unchanged: [], symlinks: [], extra: [] };
  for (const s of src) {
    const d = dstBy.get(s.rel) ?? null;
    if (s.kind === "symlink") {
      if (d && d.kind === "symlink" && d.target === s.target) out.unchanged.push({ src: s, dst: d });
      else out.symlinks.push({ src: s, dst: d });
      continue;
    }
    if (d && d.kind === "file" && d.size === s.size && sameMtime(d.mtimeMs, s.mtimeMs) && !checksum) out.unchanged.push({ src: s, dst: d });
    else out.files.push({ src: s, dst: d });
  }
  for (const d of dst) if (!srcRels.has(d.rel)) out.extra.push(d);
  return out;
}

/**
 * Destination files worth chunking to find reusable bytes: the old version of each changed file,
 * files the source no longer has at that path (renamed or moved), and files as large as a new one
 * (copies). Unchanged files in place are skipped: reading them all would cost a full pass over the
 * destination for nothing in the usual case.
 */
export function indexCandidates(cmp: Comparison, all = false): Set<string> {
  const want = new Set<string>();
  if (all) {
    // --index-all: every destination file, for reuse from anywhere (costs a read of all of them).
    if (cmp.files.length === 0) return want;
    for (const f of cmp.files) if (f.dst?.kind === "file") want.add(f.dst.rel);
    for (const d of cmp.extra) if (d.kind === "file") want.add(d.rel);
    for (const u of cmp.unchanged) if (u.dst.kind === "file") want.add(u.dst.rel);
    return want;
  }
  const newSizes = new Set<number>();
  for (const f of cmp.files) {
    if (f.dst?.kind === "file") want.add(f.dst.rel);
    if (!f.dst) newSizes.add(f.src.size);
  }
  const hasNew = newSizes.size > 0;
  for (const d of cmp.extra) if (d.kind === "file" && hasNew) want.add(d.rel);
  if (hasNew) for (const u of cmp.unchanged) if (u.dst.kind === "file" && newSizes.has(u.dst.size)) want.add(u.dst.rel);
  return want;
}

/**
 * Folders that become empty after deleting `deleted` and that hold no source entry: removed by
 * --delete, deepest first.
 */
export function foldersToPrune(deleted: string[], srcRels: Iterable<string>): string[] {
  const needed = new Set<string>();
  for (const r of srcRels) {
    const parts = r.split("/");
    for (let i = 1; i < parts.length; i++) needed.add(parts.slice(0, i).join("/"));
  }
  const dirs = new Set<string>();
  for (const r of deleted) {
    const parts = r.split("/");
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join("/");
      if (!needed.has(d)) dirs.add(d);
    }
  }
  return [...dirs].sort((a, b) => b.split("/").length - a.split("/").length || (a < b ? 1 : -1));
}
