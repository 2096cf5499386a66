// Listing of one side of a sync: files and symlinks under a root, minus excludes and musicfs's own
// temp files and staging folder; temp files of killed runs are returned separately for cleanup.
import * as fs from "node:fs";
import * as path from "node:path";
import { walkTree } from "../manifest/index.ts";
import { isTempName } from "./atomic.ts";
import type { ListEntry } from "./compare.ts";
import { STAGING_DIR } from "./paths.ts";

export interface Listing {
  entries: (ListEntry & { abs: string })[];
  /** Leftover temp files (absolute paths). */
  strays: string[];
  problems: { path: string; error: string }[];
}

export function listTree(root: string, exclude: string[] = []): Listing {
  if (!fs.existsSync(root)) return { entries: [], strays: [], problems: [] };
  const w = walkTree(root, { exclude: [...exclude, STAGING_DIR] });
  const strays: string[] = [];
  const entries = w.files.filter((f) => {
    if (isTempName(path.basename(f.rel))) {
      strays.push(f.abs);
      return false;
    }
    return true;
  });
  return { entries, strays, problems: w.problems };
}
