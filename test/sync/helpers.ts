// Helpers for the sync tests: temp dirs, deterministic bytes, tree snapshots by SHA-256.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const REPO = path.resolve(import.meta.dir, "../..");

export function tempDir(prefix = "musicfs-sync-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Fast deterministic bytes (xorshift32), different per seed. */
export function randomBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  const words = new Uint32Array(out.buffer, 0, n >>> 2);
  let x = seed | 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < n; i++) out[i] = (i * 131 + seed) & 0xff;
  return out;
}

export function sha256(data: Uint8Array | string): string {
  return new Bun.CryptoHasher("sha256").update(data).digest("hex");
}

export interface Snap {
  kind: "file" | "symlink";
  hash: string;
  mode: number;
  mtimeMs: number;
}

/** rel path → content hash (or link target), mode and mtime, for every file and symlink. */
export function snapshot(root: string, opts: { skipInternal?: boolean } = {}): Map<string, Snap> {
  const out = new Map<string, Snap>();
  const visit = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      if (opts.skipInternal && name === ".musicfs-staging") continue;
      const abs = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(abs);
      if (st.isDirectory()) visit(abs, r);
      else if (st.isSymbolicLink()) out.set(r, { kind: "symlink", hash: fs.readlinkSync(abs), mode: 0, mtimeMs: 0 });
      else out.set(r, { kind: "file", hash: sha256(fs.readFileSync(abs)), mode: st.mode & 0o7777, mtimeMs: st.mtimeMs });
    }
  };
  visit(root, "");
  return out;
}

/** Content and mode equality of two trees (mtimes compared within 1 ms). Returns differences. */
export function treeDiff(a: string, b: string): string[] {
  const sa = snapshot(a);
  const sb = snapshot(b, { skipInternal: true });
  const out: string[] = [];
  for (const [k, v] of sa) {
    const w = sb.get(k);
    if (!w) out.push(`missing ${k}`);
    else if (v.kind !== w.kind || v.hash !== w.hash) out.push(`content ${k}`);
    else if (v.kind === "file" && v.mode !== w.mode) out.push(`mode ${k}`);
    else if (v.kind === "file" && Math.abs(v.mtimeMs - w.mtimeMs) >= 1) out.push(`mtime ${k}`);
  }
  for (const k of sb.keys()) if (!sa.has(k)) out.push(`extra ${k}`);
  return out;
}

export function write(root: string, rel: string, data: Uint8Array | string, mtimeSec?: number): void {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, data);
  if (mtimeSec !== undefined) fs.utimesSync(abs, mtimeSec, mtimeSec);
}

/** Files whose name starts with the temp prefix, anywhere under root. */
export function strayTemps(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((p) => path.basename(p).startsWith(".musicfs-tmp-"));
}

/** A fake track: an ID3-like tag (title, artist) then `audio` bytes of audio-like data. Retagging
 *  = the same seed with another title: the tag changes (and its length), the audio does not. */
export function track(seed: number, audio: number, title: string): Uint8Array {
  const head = new TextEncoder().encode(`ID3\u0004\u0000TIT2${title}\u0000TPE1Artist ${seed}\u0000`);
  const out = new Uint8Array(head.length + audio);
  out.set(head, 0);
  out.set(randomBytes(audio, seed), head.length);
  return out;
}

/** Reads a child's stdout until `line` appears (or the stream ends); returns false if it never did. */
async function waitLine(reader: { read(): Promise<{ value?: Uint8Array; done?: boolean }> }, line: string, seen: { text: string }): Promise<boolean> {
  while (!seen.text.includes(line + "\n")) {
    const { value, done } = await reader.read();
    if (done) return false;
    seen.text += new TextDecoder().decode(value);
  }
  return true;
}

/**
 * Spawns `bun test/sync/child.ts ARGS`, waits for its "start" line (or "writing": its first
 * written bytes), then kills it with SIGKILL after a random delay in [0, maxDelayMs).
 */
export async function killDuring(args: string[], maxDelayMs: number, after: "start" | "writing" = "start"): Promise<{ code: number; finished: boolean }> {
  const child = Bun.spawn([process.execPath, `${import.meta.dir}/child.ts`, ...args], { stdout: "pipe", stderr: "ignore" });
  const reader = child.stdout.getReader();
  const seen = { text: "" };
  await waitLine(reader, after, seen);
  await Bun.sleep(Math.random() * maxDelayMs);
  child.kill(9);
  const code = await child.exited;
  reader.releaseLock();
  return { code, finished: code === 0 || code === 1 };
}

/** Runs the child to completion; milliseconds from its "start" and its "writing" lines to its exit. */
export async function timeChild(args: string[]): Promise<{ total: number; writing: number }> {
  const child = Bun.spawn([process.execPath, `${import.meta.dir}/child.ts`, ...args], { stdout: "pipe", stderr: "ignore" });
  const reader = child.stdout.getReader();
  const seen = { text: "" };
  await waitLine(reader, "start", seen);
  const t0 = performance.now();
  const wrote = await waitLine(reader, "writing", seen);
  const t1 = performance.now();
  reader.releaseLock();
  await child.exited;
  const end = performance.now();
  return { total: end - t0, writing: wrote ? end - t1 : 0 };
}
