// Builds the single executable dist/musicfs. Worker entrypoints must be listed here too: Bun
// embeds each entrypoint in the executable and resolves `new Worker(new URL("./x.ts", import.meta.url))`
// to the embedded copy.
import { $ } from "bun";
import * as fs from "node:fs";
import { COMPILE_FLAGS } from "./compile-flags.ts";

// Extra entrypoints loaded at run time (workers, and modules that workers import by path).
export const WORKER_ENTRYPOINTS = ["internal/manifest/chunk-worker.ts", "internal/fuse/worker.ts", "internal/mountfs/music-fs.ts", "internal/catalog/tag-worker.ts"];

const root = new URL("..", import.meta.url).pathname;
process.chdir(root);
fs.mkdirSync("dist", { recursive: true });
const extra = WORKER_ENTRYPOINTS.filter((w) => fs.existsSync(w));
const started = performance.now();
const res = await $`bun build ${COMPILE_FLAGS} ./cmd/musicfs.ts ${extra} --outfile dist/musicfs`.nothrow().quiet();
if (res.exitCode !== 0) {
  process.stderr.write(res.stdout.toString() + res.stderr.toString());
  process.exit(res.exitCode);
}
const size = fs.statSync("dist/musicfs").size;
console.log(`built dist/musicfs (${(size / 1e6).toFixed(0)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
