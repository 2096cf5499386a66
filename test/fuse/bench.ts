// Measures the FUSE layer on this machine (not a test; numbers for reports):
//   bun test/fuse/bench.ts
// start-to-mounted time, sequential dd of a 512 MiB file generated on the fly (default and 128 KiB
// read-ahead, and warm with FOPEN_KEEP_CACHE), stat latency with 1 s and zero cache timeouts, and
// listing a 100 000-entry directory.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type FuseOptions, startFuse } from "../../internal/fuse/index.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-fuse-bench-"));
const MEMFS = path.join(import.meta.dir, "memfs.ts");
const HUGE = 512 * 1024 * 1024;

async function withMount<T>(name: string, extra: Partial<FuseOptions>, fn: (mp: string) => T | Promise<T>): Promise<T> {
  const mp = path.join(root, name);
  fs.mkdirSync(mp);
  const t0 = performance.now();
  const m = await startFuse({ mountpoint: mp, fsModule: MEMFS, lockDir: root, ...extra, fsOptions: { hugeSize: HUGE, manyCount: 100_000, ...(extra.fsOptions as object) } });
  const startMs = performance.now() - t0;
  const ra = fs.readFileSync(`/sys/class/bdi/${m.dev}/read_ahead_kb`, "utf8").trim();
  try {
    console.log(`[${name}] read_ahead_kb ${ra}`);
    if (name === "default") console.log(`startFuse (2 workers, 100k-entry FS built per worker): ${startMs.toFixed(1)} ms`);
    return await fn(mp);
  } finally {
    await m.unmount();
  }
}

function dd(file: string, label: string): void {
  const r = Bun.spawnSync(["dd", `if=${file}`, "of=/dev/null", "bs=1M"], { stderr: "pipe" });
  const line = r.stderr.toString().trim().split("\n").pop();
  console.log(`dd ${label}: ${line}`);
}

function statLatency(file: string, n: number): number {
  for (let i = 0; i < 1000; i++) fs.statSync(file);
  const t0 = Bun.nanoseconds();
  for (let i = 0; i < n; i++) fs.statSync(file);
  return (Bun.nanoseconds() - t0) / n / 1000;
}

try {
  await withMount("default", {}, (mp) => {
    dd(path.join(mp, "huge.bin"), "512 MiB, first (JIT warm-up)");
    dd(path.join(mp, "huge.bin"), "512 MiB, read_ahead_kb 1024");
    dd(path.join(mp, "huge.bin"), "512 MiB, read_ahead_kb 1024 again (no KEEP_CACHE: through FUSE)");
    console.log(`stat, 1 s timeouts: ${statLatency(path.join(mp, "hello.txt"), 200_000).toFixed(2)} µs`);
    const t0 = performance.now();
    const n = fs.readdirSync(path.join(mp, "many")).length;
    console.log(`readdir of ${n} entries: ${(performance.now() - t0).toFixed(0)} ms`);
  });
  await withMount("ra128", { readAheadKb: 0 }, (mp) => {
    dd(path.join(mp, "huge.bin"), "512 MiB, first (JIT warm-up)");
    dd(path.join(mp, "huge.bin"), "512 MiB, read_ahead_kb 128 (kernel default)");
  });
  await withMount("keep", { fsOptions: { keepCache: true } }, (mp) => {
    dd(path.join(mp, "huge.bin"), "512 MiB, KEEP_CACHE first");
    dd(path.join(mp, "huge.bin"), "512 MiB, KEEP_CACHE warm");
  });
  await withMount("nocache", { entryTimeout: 0, attrTimeout: 0 }, (mp) => {
    console.log(`stat, zero timeouts: ${statLatency(path.join(mp, "hello.txt"), 20_000).toFixed(2)} µs`);
  });
  console.log(`stat of a local file for comparison: ${statLatency(path.join(root, "default"), 200_000).toFixed(2)} µs`);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
