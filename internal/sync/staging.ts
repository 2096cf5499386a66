// The staging store: chunks received for files not yet committed, one file per chunk named by its
// SHA-256 under <root>/.musicfs-staging/ab/abcdef.... A chunk is written only after its hash was
// verified, through a temp name and a rename, so a kill leaves whole chunks or none. They survive
// an interrupted sync, which is what lets the next run resume without fetching them again.
import * as fs from "node:fs";
import * as path from "node:path";
import { CHUNK_ID_BYTES, chunkIdInto, fromHex, toHex } from "../hash/index.ts";
import { tempNameIn } from "./atomic.ts";
import type { ChunkIndex } from "./chunks.ts";
import { STAGING_DIR } from "./paths.ts";

/** Staged chunks untouched for this long belong to an abandoned sync and are removed. */
export const STAGING_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export class Staging {
  readonly dir: string;

  constructor(readonly root: string) {
    this.dir = path.join(root, STAGING_DIR);
  }

  /** Path relative to the root (so staged chunks can sit in a ChunkIndex next to real files). */
  relOf(idHex: string): string {
    return `${STAGING_DIR}/${idHex.slice(0, 2)}/${idHex}`;
  }

  /** Stores a verified chunk; returns false (and stores nothing) if the bytes do not match the id. */
  put(id: Uint8Array, bytes: Uint8Array): boolean {
    const check = chunkIdInto(bytes, new Uint8Array(CHUNK_ID_BYTES));
    for (let i = 0; i < CHUNK_ID_BYTES; i++) if (check[i] !== id[i]) return false;
    const hex = toHex(id);
    const target = path.join(this.root, this.relOf(hex));
    if (fs.existsSync(target)) return true;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const tmp = tempNameIn(path.dirname(target));
    try {
      fs.writeFileSync(tmp, bytes, { mode: 0o600 });
      fs.renameSync(tmp, target);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    return true;
  }

  /**
   * Adds every staged chunk that still matches its name to `index`; removes damaged ones, temp
   * files and chunks older than STAGING_MAX_AGE_MS. Returns how many were added.
   */
  loadInto(index: ChunkIndex): number {
    let n = 0;
    if (!fs.existsSync(this.dir)) return 0;
    const now = Date.now();
    for (const sub of fs.readdirSync(this.dir)) {
      const subDir = path.join(this.dir, sub);
      let names: string[];
      try {
        names = fs.readdirSync(subDir);
      } catch {
        continue;
      }
      for (const name of names) {
        const abs = path.join(subDir, name);
        try {
          const st = fs.statSync(abs);
          if (!/^[0-9a-f]{64}$/.test(name) || now - st.mtimeMs > STAGING_MAX_AGE_MS) {
            fs.rmSync(abs, { force: true });
            continue;
          }
          const bytes = fs.readFileSync(abs);
          const id = fromHex(name);
          const got = chunkIdInto(bytes, new Uint8Array(CHUNK_ID_BYTES));
          if (toHex(got) !== name) {
            fs.rmSync(abs, { force: true });
            continue;
          }
          index.add(this.relOf(name), { size: bytes.length, lengths: [bytes.length], ids: id });
          n++;
        } catch {
          // Vanished or unreadable: not usable, not fatal.
        }
      }
    }
    return n;
  }

  /** Removes staged chunks now held by committed files. */
  remove(idHexes: Iterable<string>): void {
    for (const hex of idHexes) fs.rmSync(path.join(this.root, this.relOf(hex)), { force: true });
  }

  /** Removes the staging folder if nothing is left in it. */
  tidy(): void {
    try {
      for (const sub of fs.readdirSync(this.dir)) {
        try {
          fs.rmdirSync(path.join(this.dir, sub));
        } catch {}
      }
      fs.rmdirSync(this.dir);
    } catch {}
  }
}
