// Real kernel mounts of the demo FS (test/fuse/memfs.ts): needs root and /dev/fuse, otherwise the
// suite is skipped with the reason printed. Every mount is undone in afterAll, with `umount -l` as
// the fallback, so a failing test never leaves a mount behind.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findMount, type FuseMount, startFuse } from "../../internal/fuse/index.ts";
import { BIG_SIZE, deterministicBytes, HELLO, manyName } from "./memfs.ts";

const MEMFS = path.join(import.meta.dir, "memfs.ts");
const CHILD = path.join(import.meta.dir, "serve-child.ts");
const skipReason = !fs.existsSync("/dev/fuse") ? "no /dev/fuse" : process.getuid?.() !== 0 ? "not root" : "";
if (skipReason) console.log(`skipping kernel FUSE tests: ${skipReason}`);

const root = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-fuse-"));
const lockDir = path.join(root, "locks");
const mounts: FuseMount[] = [];
const children: Bun.Subprocess[] = [];

function mountpoint(name: string): string {
  const p = path.join(root, name);
  fs.mkdirSync(p, { recursive: true });
  return p;
}

async function mount(mp: string, extra: Partial<Parameters<typeof startFuse>[0]> = {}): Promise<FuseMount> {
  const m = await startFuse({ mountpoint: mp, fsModule: MEMFS, lockDir, workers: 2, ...extra });
  mounts.push(m);
  return m;
}

function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

function run(cmd: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

/** Starts serve-child.ts on mp and waits for its "ready" line. */
async function startChild(mp: string, signals = false): Promise<Bun.Subprocess<"ignore", "pipe", "inherit">> {
  const p = Bun.spawn([process.execPath, CHILD, mp, lockDir, signals ? "signals" : ""], { stdin: "ignore", stdout: "pipe", stderr: "inherit" });
  children.push(p);
  const reader = p.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 10_000;
  while (!text.includes("\n") && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  if (!text.startsWith("ready")) throw new Error(`child did not get ready: ${JSON.stringify(text)}`);
  return p;
}

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  for (const m of mounts) await m.unmount().catch(() => {});
  // Fallback: anything still mounted under our temp dir (a failed test, a killed child).
  for (const name of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    const p = path.join(root, name);
    if (findMount(p)) Bun.spawnSync(["umount", "-l", p]);
  }
  fs.rmSync(root, { recursive: true, force: true });
});

describe.skipIf(skipReason !== "")("kernel mount of the demo FS", () => {
  let mp = "";
  let m: FuseMount;
  const bigSha = sha256(deterministicBytes(BIG_SIZE));

  beforeAll(async () => {
    mp = mountpoint("main");
    m = await mount(mp);
  });

  test("negotiates 7.x with 1 MiB requests", () => {
    expect(m.negotiated.major).toBe(7);
    expect(m.negotiated.maxWrite).toBe(1 << 20);
    expect(m.negotiated.maxRead).toBe(1 << 20);
    expect(findMount(mp)?.fstype).toBe("fuse.musicfs");
  });

  test("ls shows the tree", () => {
    const r = run(["ls", "-la", mp]);
    expect(r.code).toBe(0);
    for (const name of ["hello.txt", "big.bin", "link -> hello.txt", "sub", "many", "async.txt"]) expect(r.out).toContain(name);
    expect(fs.readdirSync(mp).sort()).toEqual(["async.txt", "big.bin", "hello.txt", "link", "many", "sub", "worker.txt"]);
    expect(fs.readdirSync(path.join(mp, "sub/nested"))).toEqual(["deep.txt"]);
  });

  test("stat reports sizes and modes", () => {
    const big = fs.statSync(path.join(mp, "big.bin"));
    expect(big.isFile()).toBe(true);
    expect(big.size).toBe(BIG_SIZE);
    expect(big.mode).toBe(0o100644);
    expect(big.mtimeMs).toBe(1_700_000_000_250);
    const dir = fs.statSync(path.join(mp, "sub"));
    expect(dir.isDirectory()).toBe(true);
    expect(dir.mode).toBe(0o040755);
    const link = fs.lstatSync(path.join(mp, "link"));
    expect(link.isSymbolicLink()).toBe(true);
    expect(link.size).toBe("hello.txt".length);
    expect(run(["stat", "-c", "%s %a %F", path.join(mp, "big.bin")]).out.trim()).toBe(`${BIG_SIZE} 644 regular file`);
    expect(run(["stat", "-f", "-c", "%b %S", mp]).out.trim()).toBe("1000 4096");
  });

  test("cat and read return the exact bytes (sha256)", () => {
    const cat = Bun.spawnSync(["cat", path.join(mp, "big.bin")], { stdout: "pipe" });
    expect(cat.stdout.length).toBe(BIG_SIZE);
    expect(sha256(cat.stdout)).toBe(bigSha);
    expect(sha256(fs.readFileSync(path.join(mp, "big.bin")))).toBe(bigSha);
    expect(fs.readFileSync(path.join(mp, "hello.txt"), "utf8")).toBe(HELLO);
    expect(fs.readFileSync(path.join(mp, "sub/nested/deep.txt"), "utf8")).toBe("deep\n");
    // A range read that straddles a 1 MiB request boundary.
    const fd = fs.openSync(path.join(mp, "big.bin"), "r");
    const b = Buffer.alloc(100_000);
    expect(fs.readSync(fd, b, 0, b.length, (1 << 20) - 50_000)).toBe(b.length);
    fs.closeSync(fd);
    expect(sha256(b)).toBe(sha256(deterministicBytes(BIG_SIZE).subarray((1 << 20) - 50_000, (1 << 20) + 50_000)));
  });

  test("readlink and reading through the symlink", () => {
    expect(fs.readlinkSync(path.join(mp, "link"))).toBe("hello.txt");
    expect(run(["readlink", path.join(mp, "link")]).out).toBe("hello.txt\n");
    expect(fs.readFileSync(path.join(mp, "link"), "utf8")).toBe(HELLO);
  });

  test("asynchronously answered reads, alone and mixed with synchronous ones", async () => {
    expect(fs.readFileSync(path.join(mp, "async.txt"), "utf8")).toBe("answered later\n");
    const slow = Array.from({ length: 16 }, () => fs.promises.readFile(path.join(mp, "async.txt"), "utf8"));
    const fast = Array.from({ length: 4 }, () => fs.promises.readFile(path.join(mp, "big.bin")));
    expect(await Promise.all(slow)).toEqual(Array(16).fill("answered later\n"));
    expect((await Promise.all(fast)).map(sha256)).toEqual(Array(4).fill(bigSha));
  });

  test("a 100 000-entry directory lists every name exactly once", () => {
    const names = fs.readdirSync(path.join(mp, "many"));
    expect(names.length).toBe(100_000);
    expect(new Set(names).size).toBe(100_000);
    expect(names[0]).toBe(manyName(0));
    expect(names[99_999]).toBe(manyName(99_999));
    for (let i = 0; i < 100_000; i += 997) expect(names[i]).toBe(manyName(i));
    const ls = run(["ls", "-f", path.join(mp, "many")]);
    const lines = ls.out.split("\n").filter(Boolean);
    expect(lines.length).toBe(100_002); // with . and ..
    expect(new Set(lines).size).toBe(100_002);
  });

  test("writes fail with EROFS", () => {
    expect(codeOf(() => fs.writeFileSync(path.join(mp, "new.txt"), "x"))).toBe("EROFS");
    expect(codeOf(() => fs.openSync(path.join(mp, "hello.txt"), "r+"))).toBe("EROFS");
    expect(codeOf(() => fs.mkdirSync(path.join(mp, "d")))).toBe("EROFS");
    expect(codeOf(() => fs.unlinkSync(path.join(mp, "hello.txt")))).toBe("EROFS");
    expect(codeOf(() => fs.renameSync(path.join(mp, "hello.txt"), path.join(mp, "h2")))).toBe("EROFS");
    expect(codeOf(() => fs.symlinkSync("x", path.join(mp, "s")))).toBe("EROFS");
    expect(codeOf(() => fs.chmodSync(path.join(mp, "hello.txt"), 0o600))).toBe("EROFS");
    const touch = run(["touch", path.join(mp, "hello.txt")]);
    expect(touch.code).not.toBe(0);
    expect(touch.err).toContain("Read-only file system");
  });

  test("missing names are ENOENT", () => {
    expect(codeOf(() => fs.statSync(path.join(mp, "nope")))).toBe("ENOENT");
    expect(codeOf(() => fs.readFileSync(path.join(mp, "sub/nope")))).toBe("ENOENT");
    expect(codeOf(() => fs.readdirSync(path.join(mp, "nope/deeper")))).toBe("ENOENT");
  });

  test("parallel readers all see the same bytes", async () => {
    const file = path.join(mp, "big.bin");
    const procs = Array.from({ length: 4 }, () => Bun.spawn(["sha256sum", file], { stdout: "pipe" }));
    const reads = Array.from({ length: 4 }, () => fs.promises.readFile(file));
    const sums = await Promise.all(procs.map(async (p) => (await new Response(p.stdout).text()).split(" ")[0]));
    expect(sums).toEqual(Array(4).fill(bigSha));
    expect((await Promise.all(reads)).map(sha256)).toEqual(Array(4).fill(bigSha));
  });

  test("every worker answers requests (the second one joins after the mount is ready)", async () => {
    // worker.txt blocks the worker that reads it for 30 ms and names it: concurrent readers
    // must be spread over both workers' cloned fds.
    const file = path.join(mp, "worker.txt");
    const seen = new Set<string>();
    const deadline = Date.now() + 5000;
    while (seen.size < 2 && Date.now() < deadline) {
      const procs = Array.from({ length: 6 }, () => Bun.spawn(["cat", file], { stdout: "pipe" }));
      for (const p of procs) seen.add((await new Response(p.stdout).text()).trim());
    }
    expect([...seen].sort()).toEqual(["worker 0", "worker 1"]);
  });

  test("a second daemon on the same mountpoint is refused by the lock", async () => {
    await expect(startFuse({ mountpoint: mp, fsModule: MEMFS, lockDir, workers: 1 })).rejects.toThrow(/already served/);
    expect(fs.readFileSync(path.join(mp, "hello.txt"), "utf8")).toBe(HELLO); // still serving
  });

  test("unmount is clean: workers stop, the mountpoint is an empty directory again", async () => {
    await m.unmount();
    await m.closed;
    expect(findMount(mp)).toBeNull();
    expect(fs.readdirSync(mp)).toEqual([]);
    // The lock is released: mounting again works.
    const again = await mount(mp, { workers: 1 });
    expect(fs.readFileSync(path.join(mp, "hello.txt"), "utf8")).toBe(HELLO);
    await again.unmount();
    expect(findMount(mp)).toBeNull();
  });
});

describe.skipIf(skipReason !== "")("start-up failures leave nothing behind", () => {
  test("a module without a factory fails before mounting and releases the lock", async () => {
    const mp = mountpoint("badmodule");
    const bad = path.join(root, "bad-fs.ts");
    fs.writeFileSync(bad, "export const nothing = 1;\n");
    await expect(startFuse({ mountpoint: mp, fsModule: bad, lockDir, workers: 1 })).rejects.toThrow(/createFileSystem/);
    expect(findMount(mp)).toBeNull();
    const m = await mount(mp, { workers: 1 }); // lock released
    await m.unmount();
  });

  test("a factory that throws is reported with its message", async () => {
    const mp = mountpoint("throwing");
    const bad = path.join(root, "throwing-fs.ts");
    fs.writeFileSync(bad, "export function createFileSystem() { throw new Error('catalog missing'); }\n");
    await expect(startFuse({ mountpoint: mp, fsModule: bad, lockDir, workers: 2 })).rejects.toThrow(/catalog missing/);
    expect(findMount(mp)).toBeNull();
  });

  test("a mountpoint that is not a directory is refused", async () => {
    const file = path.join(root, "plain-file");
    fs.writeFileSync(file, "x");
    await expect(startFuse({ mountpoint: file, fsModule: MEMFS, lockDir, workers: 1 })).rejects.toThrow(/not a directory/);
  });
});

describe.skipIf(skipReason !== "")("write operations routed to an FS that has them", () => {
  test("mkdir, create+write, truncate, chmod, rename, symlink, unlink, rmdir through the kernel", async () => {
    const mp = mountpoint("rw");
    const m = await mount(mp, { fsModule: path.join(import.meta.dir, "rwfs.ts"), workers: 1 });
    try {
      fs.mkdirSync(path.join(mp, "a/b"), { recursive: true });
      expect(fs.statSync(path.join(mp, "a/b")).isDirectory()).toBe(true);
      const payload = deterministicBytes(3 * 1024 * 1024 + 17);
      fs.writeFileSync(path.join(mp, "a/b/f.bin"), payload);
      expect(fs.statSync(path.join(mp, "a/b/f.bin")).size).toBe(payload.length);
      expect(sha256(fs.readFileSync(path.join(mp, "a/b/f.bin")))).toBe(sha256(payload));
      expect(run(["sh", "-c", `echo hello > ${mp}/a/t.txt && cat ${mp}/a/t.txt`]).out).toBe("hello\n");
      fs.truncateSync(path.join(mp, "a/t.txt"), 2);
      expect(fs.readFileSync(path.join(mp, "a/t.txt"), "utf8")).toBe("he");
      fs.chmodSync(path.join(mp, "a/t.txt"), 0o600);
      expect(fs.statSync(path.join(mp, "a/t.txt")).mode & 0o7777).toBe(0o600);
      fs.renameSync(path.join(mp, "a/b/f.bin"), path.join(mp, "a/moved.bin"));
      expect(run(["mv", `${mp}/a/t.txt`, `${mp}/t2.txt`]).code).toBe(0);
      expect(fs.readdirSync(path.join(mp, "a")).sort()).toEqual(["b", "moved.bin"]);
      expect(fs.readFileSync(path.join(mp, "t2.txt"), "utf8")).toBe("he");
      fs.symlinkSync("a/moved.bin", path.join(mp, "ln"));
      expect(fs.readlinkSync(path.join(mp, "ln"))).toBe("a/moved.bin");
      expect(codeOf(() => fs.rmdirSync(path.join(mp, "a")))).toBe("ENOTEMPTY");
      fs.unlinkSync(path.join(mp, "a/moved.bin"));
      fs.rmdirSync(path.join(mp, "a/b"));
      fs.rmdirSync(path.join(mp, "a"));
      expect(fs.readdirSync(mp).sort()).toEqual(["ln", "t2.txt"]);
      expect(codeOf(() => fs.linkSync(path.join(mp, "t2.txt"), path.join(mp, "hard")))).toBe("EROFS"); // no link method
    } finally {
      await m.unmount();
    }
  });
});

describe.skipIf(skipReason !== "")("daemon lifecycle across processes", () => {
  test("a live child holds the lock; after kill -9 the dead mount is cleared on the next start", async () => {
    const mp = mountpoint("stale");
    const child = await startChild(mp);
    expect(fs.readFileSync(path.join(mp, "hello.txt"), "utf8")).toBe(HELLO);
    await expect(startFuse({ mountpoint: mp, fsModule: MEMFS, lockDir, workers: 1 })).rejects.toThrow(/already served/);
    child.kill("SIGKILL");
    await child.exited;
    expect(codeOf(() => fs.statSync(mp))).toBe("ENOTCONN");
    let cleared = "";
    const m = await mount(mp, { workers: 1, onStaleCleared: (p) => (cleared = p) });
    expect(cleared).toBe(mp);
    expect(fs.readFileSync(path.join(mp, "hello.txt"), "utf8")).toBe(HELLO);
    await m.unmount();
    expect(findMount(mp)).toBeNull();
    expect(fs.readdirSync(mp)).toEqual([]);
  });

  test("SIGTERM unmounts cleanly through unmountOnSignals", async () => {
    const mp = mountpoint("signals");
    const child = await startChild(mp, true);
    expect(fs.readdirSync(mp)).toContain("hello.txt");
    child.kill("SIGTERM");
    expect(await child.exited).toBe(128 + 15);
    expect(findMount(mp)).toBeNull();
    expect(fs.readdirSync(mp)).toEqual([]);
  });

  test("unmount completes while a file is still open (connection aborted after the grace period)", async () => {
    const mp = mountpoint("busy");
    const m = await mount(mp, { workers: 1, unmountGraceMs: 200 });
    const fd = fs.openSync(path.join(mp, "hello.txt"), "r");
    try {
      const t0 = performance.now();
      await m.unmount();
      await m.closed;
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(findMount(mp)).toBeNull();
      // The detached mount is dead now: reading the old fd fails instead of hanging.
      expect(codeOf(() => fs.readSync(fd, Buffer.alloc(10), 0, 10, 0))).toBeDefined();
    } finally {
      fs.closeSync(fd);
    }
  });

  test("as a non-root user: fusermount3 mounts (fd over SCM_RIGHTS) and fusermount3 -uz unmounts", () => {
    const setpriv = Bun.which("setpriv");
    const unshare = Bun.which("unshare");
    if (!Bun.which("fusermount3") || !setpriv) {
      console.log("skipped non-root mount: needs fusermount3 (apt-get install fuse3) and setpriv");
      return;
    }
    const worldRw = (fs.statSync("/dev/fuse").mode & 0o006) === 0o006;
    if (!worldRw && !unshare) {
      console.log("skipped non-root mount: /dev/fuse is not world-accessible and unshare is missing");
      return;
    }
    fs.chmodSync(root, 0o711); // mkdtemp made it 0700: let nobody traverse it
    const home = mountpoint("nobody-home");
    const mp = mountpoint("nobody-mnt");
    fs.chownSync(home, 65534, 65534);
    fs.chownSync(mp, 65534, 65534);
    const asNobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, CHILD, mp, path.join(home, "locks"), "selfcheck"];
    let cmd = asNobody;
    if (!worldRw) {
      // fusermount3 opens /dev/fuse as the calling user; here it is 0600. Give the child a private
      // mount namespace whose /dev/fuse is a 0666 node bound over the real one (nothing outside
      // that namespace changes, and its mounts vanish with it).
      const node = path.join(root, "fuse-dev");
      const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
      cmd = [unshare!, "-m", "--propagation", "private", "sh", "-c",
        `mknod ${q(node)} c 10 229 && chmod 666 ${q(node)} && mount --bind ${q(node)} /dev/fuse && exec ${asNobody.map(q).join(" ")}`];
    }
    const r = Bun.spawnSync(cmd, { env: { PATH: process.env.PATH ?? "", HOME: home, TMPDIR: home }, stdout: "pipe", stderr: "pipe", timeout: 20_000 });
    expect(r.exitCode, r.stderr.toString()).toBe(0);
    expect(JSON.parse(r.stdout.toString())).toEqual({ uid: 65534, method: "fusermount", hello: HELLO, size: BIG_SIZE, many: 10 });
    expect(findMount(mp)).toBeNull();
  });

  test("mounting through fusermount3 (fd received over SCM_RIGHTS)", async () => {
    if (!Bun.which("fusermount3")) {
      console.log("skipped fusermount3 path: fusermount3 not installed (apt-get install fuse3)");
      return;
    }
    const mp = mountpoint("fusermount");
    const m = await mount(mp, { method: "fusermount", workers: 1 });
    expect(m.method).toBe("fusermount");
    expect(findMount(mp)?.fstype).toBe("fuse.musicfs");
    expect(fs.readFileSync(path.join(mp, "link"), "utf8")).toBe(HELLO);
    await m.unmount();
    expect(findMount(mp)).toBeNull();
  });
});
