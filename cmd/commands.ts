// The subcommands: what `musicfs --help` lists, and how to load each one. A command's module (and
// everything it imports: SQLite, Connect, FUSE, ...) loads only when that command runs, so
// `musicfs --help` starts in a few milliseconds. test/cli checks that usage and summary here
// match what each module registers.
import type { CAC } from "cac";

export interface CommandEntry {
  usage: string;
  summary: string;
  load: () => Promise<{ register(cli: CAC): void }>;
}

export const COMMANDS: Record<string, CommandEntry> = {
  chunk: { usage: "chunk [...paths]", summary: "Split files and folders into content-defined chunks (FastCDC) and report statistics", load: () => import("./chunk.ts") },
  diff: { usage: "diff <old> <new>", summary: "Chunk-level difference between two files or folders: reused vs new bytes, added/removed/renamed files", load: () => import("./diff.ts") },
  sync: { usage: "sync [src] [dst]", summary: "Delta sync of a folder or file: only changed chunks move, every file is replaced atomically", load: () => import("./sync.ts") },
  mount: { usage: "mount [...paths]", summary: "Mount the music library as a read-only tree by tags, with hidden search folders (/.search/<query>/). `mount LIBRARY MOUNTPOINT` scans LIBRARY first; `mount MOUNTPOINT` uses the catalog as it is", load: () => import("./mount.ts") },
  serve: { usage: "serve", summary: "Serve the search and control API (gRPC, gRPC-Web and Connect on one port)", load: () => import("./serve.ts") },
  scan: { usage: "scan [...libraries]", summary: "Scan music folders, or the origins of a config (local, NFS, SMB, S3, SFTP), into the catalog; only new and changed files are read again", load: () => import("./scan.ts") },
  search: { usage: "search [...query]", summary: "Search the catalog (words, field:value, ranges, OR/NOT, prefix*, fuzzy~1)", load: () => import("./search.ts") },
  metadata: { usage: "metadata <action> [...args]", summary: "Edit tags without touching files (metadata overlay): get, set, clear, import", load: () => import("./metadata.ts") },
  trash: { usage: "trash <action> [...args]", summary: "The mount's trash: list, restore PATH|ID..., or empty it (files removed with rm through the mount; origin files are never touched)", load: () => import("./trash.ts") },
  bench: { usage: "bench [...scenarios]", summary: "Check the non-functional targets with real statistics (warm-up, median, p95)", load: () => import("./bench.ts") },
};
