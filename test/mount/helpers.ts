// Shared by the kernel-mount tests: starting and stopping a `musicfs mount` daemon, and the checks
// a user would run on the result.
import * as fs from "node:fs";
import * as path from "node:path";
import type { GeneratedFile, TrackTags } from "../../internal/samplelib/index.ts";
import { BUN, firstLine, REPO } from "../helpers.ts";

/** Where the default template shows a generated track under `mnt` (`tags`: after a retag). */
export function shownAt(mnt: string, f: GeneratedFile, tags: TrackTags = f.tags): string {
  return path.join(mnt, tags.artist!, `${tags.album} (${tags.year}) [${f.format.toUpperCase()}]`, `${String(tags.trackNo).padStart(2, "0")} - ${tags.title}.${f.format}`);
}

export function sha256(p: string): string {
  return new Bun.CryptoHasher("sha256").update(fs.readFileSync(p)).digest("hex");
}

export function isMounted(p: string): boolean {
  return fs.readFileSync("/proc/self/mounts", "utf8").split("\n").some((l) => l.split(" ")[1] === p);
}

export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await Bun.sleep(25);
  }
  return cond();
}

export interface MountDaemon {
  proc: ReturnType<typeof Bun.spawn>;
  /** The `--json` ready line. */
  ready: Record<string, unknown>;
  /** Everything the daemon wrote to stderr so far. */
  log(): string;
}

/** Starts `musicfs mount --json ARGS` and waits for its ready line (throws with its stderr if none). */
export async function startMountDaemon(args: string[], env: Record<string, string> = {}): Promise<MountDaemon> {
  const proc = Bun.spawn([BUN, path.join(REPO, "cmd/musicfs.ts"), "mount", "--json", ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  let stderr = "";
  void (async () => {
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) stderr += new TextDecoder().decode(chunk);
  })();
  const line = await firstLine(proc.stdout as ReadableStream<Uint8Array>);
  if (!line.includes('"mounted"')) {
    await proc.exited;
    throw new Error(`mount did not start: ${line} ${stderr}`);
  }
  return { proc, ready: JSON.parse(line), log: () => stderr };
}

/** SIGTERM, wait for the exit, and make sure nothing stays mounted at `mountpoint`. */
export async function stopMountDaemon(d: MountDaemon | null, mountpoint: string): Promise<void> {
  if (d && d.proc.exitCode === null) {
    d.proc.kill("SIGTERM");
    await waitFor(() => d.proc.exitCode !== null, 5000);
  }
  if (isMounted(mountpoint)) Bun.spawnSync(["umount", "-l", mountpoint]);
}

/**
 * Why a kernel-mount test cannot run here ("" when it can): the mount needs /dev/fuse and root
 * (mount(2)). `more` adds a test's own requirement (a server, a reader) when those are met.
 */
export function mountSkipReason(more: () => string = () => ""): string {
  if (!fs.existsSync("/dev/fuse")) return "no /dev/fuse";
  if (process.getuid?.() !== 0) return "not root (the mount test mounts with mount(2))";
  return more();
}

/** Every track file under `dir` in the mount (absolute paths), the virtual cover files left out. */
export function trackFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...trackFiles(p));
    else if (!isCoverFile(e.name)) out.push(p);
  }
  return out;
}

/** The album cover files the mount adds beside tracks with embedded art (test/mount/covers-mount.test.ts). */
export function isCoverFile(name: string): boolean {
  return name === "cover.jpg" || name === "cover-150.jpg" || name === "cover-300.jpg";
}
