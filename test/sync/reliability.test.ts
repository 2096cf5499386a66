// Crash safety and bad conditions: kill -9 at random moments, a full destination, a source that
// changes while it is copied. What is checked is what a user would check: every destination file
// is byte-for-byte its old or its new version, nothing torn, no temp files left, clear errors.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseRemoteSpec, startSyncServer, syncFolders, syncRemote } from "../../internal/sync/index.ts";
import { killDuring, timeChild, randomBytes, sha256, snapshot, strayTemps, tempDir, treeDiff, write } from "./helpers.ts";

const BUN = process.execPath;
const roots: string[] = [];
afterAll(() => {
  for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
});
function fresh(): { src: string; dst: string } {
  const r = tempDir();
  roots.push(r);
  return { src: path.join(r, "src"), dst: path.join(r, "dst") };
}

/** Generation g of a small library: some files change per generation, one moves, one comes and goes. */
function writeGeneration(src: string, g: number): void {
  fs.rmSync(src, { recursive: true, force: true });
  for (let i = 0; i < 12; i++) {
    const changes = i % 4 !== 1 || i === g % 12;
    const data = randomBytes(150_000 + i * 20_000, changes ? 1000 * g + i : i + 1);
    write(src, `album ${i % 3}/track ${i}.flac`, data, 1_600_000_000 + (changes ? g : 0));
  }
  write(src, `moving/${g % 2 ? "here" : "there"}/big.flac`, randomBytes(1_500_000, 77), 1_600_000_000);
  if (g % 2) write(src, "sometimes.flac", randomBytes(300_000, 88 + g), 1_600_000_000 + g);
}

function hashes(root: string): Map<string, string> {
  return new Map([...snapshot(root)].map(([k, v]) => [k, v.hash]));
}

describe("kill -9 during a local sync", () => {
  test("every file stays old or new, and the next run completes and cleans up (24 kills)", async () => {
    const { src, dst } = fresh();
    writeGeneration(src, 0);
    await syncFolders(src, dst, { delete: true });
    // One uninterrupted child run of a generation sets the time scale for the kills.
    writeGeneration(src, 100);
    const scale = await timeChild(["local", src, dst]);
    let killedMidway = 0;
    let tempsSeen = 0;
    let midway = 0; // kills that left some changed files new and others still old
    for (let g = 1; g <= 24; g++) {
      const old = hashes(dst);
      writeGeneration(src, g);
      const next = hashes(src);
      // Even generations: anywhere in the run; odd ones: aimed at the write phase.
      const { finished } = g % 2 === 0 ? await killDuring(["local", src, dst], Math.max(20, scale.total)) : await killDuring(["local", src, dst], Math.max(5, scale.writing), "writing");
      if (!finished) killedMidway++;
      let sawNew = false;
      let sawOld = false;
      for (const [rel, h] of hashes(dst)) {
        if (next.get(rel) !== old.get(rel)) {
          if (h === next.get(rel)) sawNew = true;
          else if (h === old.get(rel)) sawOld = true;
        }
        // A temp file of the killed run is expected; the next run must remove it (checked below).
        if (path.basename(rel).startsWith(".musicfs-tmp-")) {
          tempsSeen++;
          continue;
        }
        const ok = h === old.get(rel) || h === next.get(rel);
        if (!ok) throw new Error(`generation ${g}: ${rel} is neither its old nor its new version`);
      }
      if (sawNew && sawOld) midway++;
      const done = await syncFolders(src, dst, { delete: true });
      expect(done.errors).toEqual([]);
      expect(strayTemps(dst)).toEqual([]);
      expect(treeDiff(src, dst)).toEqual([]);
    }
    // Most kills must land while the child runs, or the test proves nothing.
    console.log(`kill -9 (local, run ${scale.total.toFixed(0)} ms, writing ${scale.writing.toFixed(0)} ms): ${killedMidway} of 24 runs killed before finishing, ${midway} left a mix of old and new files, ${tempsSeen} temp files left for the next run`);
    // Most kills must land while the child runs, and some inside the write phase, or the test
    // proves nothing (kills are timed from the child's start line, over one measured run).
    expect(killedMidway).toBeGreaterThanOrEqual(10);
    expect(midway + tempsSeen).toBeGreaterThanOrEqual(1);
  }, 60_000);
});

describe("a source that changes while it is copied", () => {
  test("is detected and copied again, never half old", async () => {
    const { src, dst } = fresh();
    const first = randomBytes(3 << 20, 1);
    write(src, "a.flac", first, 1_600_000_000);
    const second = randomBytes(3 << 20, 2);
    let changed = false;
    const s = await syncFolders(src, dst, {
      onProgress: (done, _total, p) => {
        if (!changed && p === "a.flac" && done > 1 << 20) {
          changed = true;
          write(src, "a.flac", second, 1_600_000_100);
        }
      },
    });
    expect(changed).toBe(true);
    expect(s.errors).toEqual([]);
    expect(sha256(fs.readFileSync(path.join(dst, "a.flac")))).toBe(sha256(second));
    expect(fs.statSync(path.join(dst, "a.flac")).mtimeMs).toBe(fs.statSync(path.join(src, "a.flac")).mtimeMs);
  });

  test("a source that never holds still is reported, the old copy kept", async () => {
    const { src, dst } = fresh();
    const old = randomBytes(2 << 20, 3);
    write(src, "a.flac", old, 1_600_000_000);
    await syncFolders(src, dst);
    write(src, "a.flac", randomBytes(2 << 20, 4), 1_600_000_050);
    let n = 0;
    const s = await syncFolders(src, dst, {
      onProgress: (done, _t, p) => {
        if (p === "a.flac" && done > 0) write(src, "a.flac", randomBytes(2 << 20, 10 + n++), 1_600_000_100 + n);
      },
    });
    expect(s.errors.length).toBe(1);
    expect(s.errors[0].error).toContain("source changed during the sync");
    expect(sha256(fs.readFileSync(path.join(dst, "a.flac")))).toBe(sha256(old));
    expect(strayTemps(dst)).toEqual([]);
  });
});

describe("destination disk full (tmpfs of 2 MiB)", () => {
  const isRoot = process.getuid?.() === 0;
  let mnt = "";
  beforeAll(() => {
    if (!isRoot) {
      console.log("skipping disk-full tests: mounting a tmpfs needs root");
      return;
    }
    mnt = tempDir("musicfs-full-");
    roots.push(mnt);
    const r = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt]);
    if (r.exitCode !== 0) {
      console.log(`skipping disk-full tests: mount failed: ${r.stderr.toString().trim()}`);
      mnt = "";
    }
  });
  afterAll(() => {
    if (mnt) Bun.spawnSync(["umount", "-l", mnt]);
  });

  test("gives a clear error (exit 1), keeps old files intact and leaves no temp file", async () => {
    if (!mnt) return;
    const { src } = fresh();
    const dst = path.join(mnt, "dst");
    const old = randomBytes(1_200_000, 1);
    write(src, "a.flac", old, 1_600_000_000);
    write(src, "small.txt", "small", 1_600_000_000);
    expect((await syncFolders(src, dst)).errors).toEqual([]);
    // A new version of a.flac needs a second 1.2 MB while the old one still exists: no room.
    write(src, "a.flac", randomBytes(1_200_000, 2), 1_600_000_100);
    write(src, "b.flac", randomBytes(900_000, 3), 1_600_000_100);
    const r = Bun.spawnSync([BUN, path.join(import.meta.dir, "cli-entry.ts"), "sync", src, dst], { stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(1);
    const err = r.stderr.toString();
    expect(err).toContain("destination is full (ENOSPC)");
    expect(sha256(fs.readFileSync(path.join(dst, "a.flac")))).toBe(sha256(old));
    expect(fs.readFileSync(path.join(dst, "small.txt"), "utf8")).toBe("small");
    expect(strayTemps(dst)).toEqual([]);
    for (const [rel, v] of snapshot(dst)) {
      const want = snapshot(src).get(rel);
      expect(v.hash === want?.hash || rel === "a.flac").toBe(true);
    }
  });

  test("a remote push onto a full export fails clearly and leaves its files whole", async () => {
    if (!mnt) return;
    const { src } = fresh();
    const dst = path.join(mnt, "export");
    fs.rmSync(path.join(mnt, "dst"), { recursive: true, force: true });
    fs.mkdirSync(dst);
    const server = await startSyncServer({ e: dst });
    try {
      const old = randomBytes(900_000, 5);
      write(src, "a.flac", old, 1_600_000_000);
      expect((await syncRemote({ src, push: parseRemoteSpec(server.url("e")) })).errors).toEqual([]);
      write(src, "a.flac", randomBytes(900_000, 6), 1_600_000_100);
      write(src, "b.flac", randomBytes(900_000, 7), 1_600_000_100);
      const msg = await syncRemote({ src, push: parseRemoteSpec(server.url("e")) }).then(
        (s) => s.errors.map((e) => e.error).join("; "),
        (e: Error) => e.message,
      );
      expect(msg).toContain("destination is full");
      expect(sha256(fs.readFileSync(path.join(dst, "a.flac")))).toBe(sha256(old));
      expect(strayTemps(dst)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
