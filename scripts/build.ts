// Builds the single executable dist/musicfs. Worker entrypoints must be listed here too: Bun
// embeds each entrypoint in the executable and resolves `new Worker(new URL("./x.ts", import.meta.url))`
// to the embedded copy.
import { $ } from "bun";
import * as fs from "node:fs";

// Extra entrypoints loaded at run time (workers, and modules that workers import by path).
export const WORKER_ENTRYPOINTS = ["internal/manifest/chunk-worker.ts", "internal/fuse/worker.ts", "internal/mountfs/music-fs.ts", "internal/catalog/tag-worker.ts"];

const root = new URL("..", import.meta.url).pathname;
process.chdir(root);
fs.mkdirSync("dist", { recursive: true });
const extra = WORKER_ENTRYPOINTS.filter((w) => fs.existsSync(w));
const started = performance.now();
// --splitting (ESM only): each command's modules are separate chunks that load when the command
// runs. Without it the whole bundle (SQLite, Connect, jimp, ...) is one module that every start
// pays for: `musicfs --help` was 44 ms and 1 600 page faults, now ~26 ms (a compiled hello-world
// takes ~19 ms on the same 2-core VM, where a page fault costs ~20 us).
const res = await $`bun build --compile --minify --bytecode --splitting --format esm ./cmd/musicfs.ts ${extra} --outfile dist/musicfs`.nothrow().quiet();
if (res.exitCode !== 0) {
  process.stderr.write(res.stdout.toString() + res.stderr.toString());
  process.exit(res.exitCode);
}
const size = fs.statSync("dist/musicfs").size;
console.log(`built dist/musicfs (${(size / 1e6).toFixed(0)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
