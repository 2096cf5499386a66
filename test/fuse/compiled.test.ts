// The worker must run from a `bun build --compile` executable: builds test/fuse/compiled-entry.ts
// (COMPILE_FLAGS, as the product build) with internal/fuse/worker.ts and the demo FS as extra entrypoints, runs it (it mounts, reads,
// unmounts) and checks its output. Needs root and /dev/fuse like the other kernel tests.
import { afterAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findMount } from "../../internal/fuse/index.ts";
import { COMPILE_FLAGS } from "../../scripts/compile-flags.ts";

const REPO = path.resolve(import.meta.dir, "../..");
const skipReason = !fs.existsSync("/dev/fuse") ? "no /dev/fuse" : process.getuid?.() !== 0 ? "not root" : "";
if (skipReason) console.log(`skipping compiled FUSE test: ${skipReason}`);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-fuse-bin-"));

afterAll(() => {
  const mp = path.join(dir, "mnt");
  if (findMount(mp)) Bun.spawnSync(["umount", "-l", mp]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test.skipIf(skipReason !== "")("mounts from a compiled executable with the embedded worker", () => {
  const exe = path.join(dir, "fuse-demo");
  const build = Bun.spawnSync(
    [process.execPath, "build", ...COMPILE_FLAGS, "./test/fuse/compiled-entry.ts", "./internal/fuse/worker.ts", "./test/fuse/memfs.ts", "--outfile", exe],
    { cwd: REPO, stdout: "pipe", stderr: "pipe" },
  );
  expect(build.exitCode, build.stderr.toString()).toBe(0);
  const mp = path.join(dir, "mnt");
  fs.mkdirSync(mp);
  // Run from another directory: nothing may be loaded from the source tree.
  const r = Bun.spawnSync([exe, mp, path.join(dir, "locks")], { cwd: "/", stdout: "pipe", stderr: "pipe", timeout: 20_000 });
  expect(r.exitCode, r.stderr.toString()).toBe(0);
  const out = JSON.parse(r.stdout.toString());
  expect(out).toEqual({ compiled: true, names: ["async.txt", "big.bin", "hello.txt", "link", "many", "sub", "worker.txt"], hello: "hello, fuse\n", many: 5 });
  expect(findMount(mp)).toBeNull();
});
