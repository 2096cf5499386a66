// Mounting and unmounting a FUSE file system, and the checks around it: a stale mount left by a
// killed daemon (ENOTCONN) is detached before mounting, and a lock file keeps two daemons off one
// mountpoint. As root the mount is a mount(2) call through bun:ffi (~1 ms); otherwise fusermount3
// (setuid) mounts and hands the /dev/fuse fd back over a Unix socket with SCM_RIGHTS.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as libc from "./libc.ts";

export type MountMethod = "syscall" | "fusermount";

export interface MountSpec {
  mountpoint: string;
  /** Shown as the fs type `fuse.<subtype>`. */
  subtype: string;
  /** Shown as the mount source. */
  fsname: string;
  /** Let other users (and root) see the mount. Non-root needs `user_allow_other` in /etc/fuse.conf. */
  allowOther: boolean;
  /** "syscall" needs root; default: syscall as root, fusermount3 otherwise. */
  method?: MountMethod;
}

export interface Mounted {
  fd: number;
  method: MountMethod;
}

const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0;

/** allow_other needs root, or `user_allow_other` in /etc/fuse.conf (fusermount3 refuses it otherwise). */
export function defaultAllowOther(): boolean {
  if (isRoot()) return true;
  try {
    return /^\s*user_allow_other\s*$/m.test(fs.readFileSync("/etc/fuse.conf", "utf8"));
  } catch {
    return false;
  }
}

/** Absolute, symlink-free path without touching the mountpoint itself (a dead mount fails stat). */
export function canonicalMountpoint(mountpoint: string): string {
  const abs = path.resolve(mountpoint);
  const parent = path.dirname(abs);
  return abs === parent ? abs : path.join(fs.realpathSync(parent), path.basename(abs));
}

/** Opens /dev/fuse and mounts it at spec.mountpoint. Returns the session fd. */
export function mountFuse(spec: MountSpec): Mounted {
  const method = spec.method ?? (isRoot() ? "syscall" : "fusermount");
  const opts = ["default_permissions"];
  if (spec.allowOther) opts.push("allow_other");
  if (method === "fusermount") return { fd: fusermountMount(spec, opts), method };
  const fd = fs.openSync("/dev/fuse", "r+");
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const data = [`fd=${fd}`, "rootmode=40000", `user_id=${uid}`, `group_id=${gid}`, ...opts].join(",");
  try {
    libc.mount(spec.fsname, spec.mountpoint, `fuse.${spec.subtype}`, libc.MS_NOSUID | libc.MS_NODEV, data);
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  return { fd, method };
}

function fusermountMount(spec: MountSpec, opts: string[]): number {
  const [mine, theirs] = libc.socketpair();
  let theirsOpen = true;
  try {
    const all = [`fsname=${spec.fsname}`, `subtype=${spec.subtype}`, ...opts].join(",");
    const r = Bun.spawnSync(["fusermount3", "-o", all, "--", spec.mountpoint], {
      env: { ...process.env, _FUSE_COMMFD: "3" },
      stdio: ["ignore", "pipe", "pipe", theirs] as unknown as ["ignore", "pipe", "pipe"],
    });
    // Our copy of the child's end must be closed, or recvmsg would wait forever after a failure.
    // (Closed exactly once: the received fd may reuse its number.)
    fs.closeSync(theirs);
    theirsOpen = false;
    const fd = r.exitCode === 0 ? libc.recvFd(mine) : -1;
    if (fd < 0) throw new Error(`fusermount3 failed (exit ${r.exitCode}): ${r.stderr.toString().trim()}`);
    return fd;
  } finally {
    if (theirsOpen) fs.closeSync(theirs);
    fs.closeSync(mine);
  }
}

/** Lazily unmounts (MNT_DETACH / fusermount3 -uz). Returns false when nothing was mounted there. */
export function unmountFuse(mountpoint: string, method: MountMethod = isRoot() ? "syscall" : "fusermount"): boolean {
  if (method === "syscall") {
    try {
      libc.umount2(mountpoint, libc.MNT_DETACH);
      return true;
    } catch (e) {
      if ((e as libc.SysError).code === "EINVAL" || (e as libc.SysError).code === "ENOENT") return false;
      throw e;
    }
  }
  const r = Bun.spawnSync(["fusermount3", "-uz", "--", mountpoint], { stdio: ["ignore", "pipe", "pipe"] });
  if (r.exitCode === 0) return true;
  const msg = r.stderr.toString();
  if (/not mounted|not found in/i.test(msg)) return false;
  throw new Error(`fusermount3 -uz failed: ${msg.trim()}`);
}

export interface MountInfo {
  /** "major:minor" of the mount; for FUSE the minor is the connection id in /sys/fs/fuse/connections. */
  dev: string;
  mountpoint: string;
  fstype: string;
  source: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The topmost mount at `mountpoint` (canonical path), from /proc/self/mountinfo. */
export function findMount(mountpoint: string): MountInfo | null {
  let found: MountInfo | null = null;
  for (const line of fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const f = line.split(" ");
    if (f.length < 10) continue;
    const sep = f.indexOf("-", 6);
    if (sep < 0) continue;
    if (unescapeMountinfo(f[4]) !== mountpoint) continue;
    found = { dev: f[2], mountpoint, fstype: f[sep + 1], source: unescapeMountinfo(f[sep + 2]) }; // later lines are on top
  }
  return found;
}

/**
 * Clears a dead FUSE mount at mountpoint (daemon killed: every access gives ENOTCONN). Only call it
 * while holding the mountpoint's lock, so a live MusicFS daemon is never detached. Returns true
 * when a stale mount was removed. Throws when something else is mounted there.
 */
export function clearStaleMount(mountpoint: string, fsname: string): boolean {
  const m = findMount(mountpoint);
  if (m === null) {
    // Not in our mount namespace's table: a plain directory (stat cannot hang).
    return false;
  }
  if (!m.fstype.startsWith("fuse")) throw new Error(`${mountpoint} is already a mount point (${m.fstype})`);
  // A FUSE mount of ours without a lock holder is dead; a foreign one is checked with stat, which
  // fails at once with ENOTCONN when its daemon is gone.
  if (m.source !== fsname) {
    try {
      fs.statSync(mountpoint);
      throw new Error(`${mountpoint} is already mounted (${m.fstype} from ${m.source})`);
    } catch (e) {
      if ((e as { code?: string }).code !== "ENOTCONN") throw e;
    }
  }
  unmountFuse(mountpoint);
  return true;
}

/** Sets the mount's read-ahead (INIT caps max_readahead at 128 KiB; 1 MiB doubles dd speed). */
export function setReadAhead(dev: string, kb: number): boolean {
  try {
    fs.writeFileSync(`/sys/class/bdi/${dev}/read_ahead_kb`, String(kb));
    return true;
  } catch {
    return false;
  }
}

const FUSECTL = "/sys/fs/fuse/connections";

/**
 * Aborts a FUSE connection (every blocked read of its daemon fails with ENODEV, every waiting
 * caller gets ECONNABORTED). Used when an unmount is held up by files still open on the detached
 * mount. Mounts fusectl first when it is missing (root only).
 */
export function abortConnection(dev: string): boolean {
  const minor = dev.split(":")[1];
  const file = `${FUSECTL}/${minor}/abort`;
  if (!fs.existsSync(file) && isRoot()) {
    try {
      libc.mount("fusectl", FUSECTL, "fusectl", 0, "");
    } catch {}
  }
  try {
    fs.writeFileSync(file, "1");
    return true;
  } catch {
    return false;
  }
}

export interface MountLock {
  path: string;
  release(): void;
}

/** Default lock directory: $MUSICFS_LOCK_DIR, else /run/lock as root, else the temp dir. */
export function defaultLockDir(): string {
  if (process.env.MUSICFS_LOCK_DIR) return process.env.MUSICFS_LOCK_DIR;
  if (isRoot() && fs.existsSync("/run/lock")) return "/run/lock";
  return os.tmpdir();
}

/**
 * Takes the per-mountpoint lock: flock(LOCK_EX|LOCK_NB) on `<dir>/musicfs-<hash>.lock`. The kernel
 * drops it when the process dies (even by kill -9), so a crash never leaves a stale lock.
 */
export function acquireMountLock(mountpoint: string, dir = defaultLockDir()): MountLock {
  const name = `musicfs-${Bun.hash(mountpoint).toString(16)}.lock`;
  const file = path.join(dir, name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (let attempt = 0; attempt < 5; attempt++) {
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    if (!libc.tryFlock(fd)) {
      let owner = "";
      try {
        owner = fs.readFileSync(file, "utf8").trim();
      } catch {}
      fs.closeSync(fd);
      throw new Error(`${mountpoint} is already served by another musicfs daemon${owner ? ` (${owner})` : ""}`);
    }
    // The holder unlinks the file on release; if we locked an unlinked file, try again.
    let same = false;
    try {
      same = fs.statSync(file).ino === fs.fstatSync(fd).ino;
    } catch {}
    if (!same) {
      fs.closeSync(fd);
      continue;
    }
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, `pid ${process.pid} ${mountpoint}\n`);
    let held = true;
    return {
      path: file,
      release() {
        if (!held) return;
        held = false;
        try {
          fs.unlinkSync(file);
        } catch {}
        fs.closeSync(fd);
      },
    };
  }
  throw new Error(`could not lock ${file}`);
}
