// Entry for the compiled-executable test: built with
//   bun build --compile ./test/fuse/compiled-entry.ts ./internal/fuse/worker.ts ./test/fuse/memfs.ts
// it mounts the demo FS from the embedded worker and module, reads through the mount, prints
// one JSON line and unmounts.
import * as fs from "node:fs";
import { COMPILED, runtimePath, startFuse } from "../../internal/fuse/index.ts";

// No top-level await: the product is built with --bytecode, which needs CommonJS-compatible code.
async function main(): Promise<void> {
const [mountpoint, lockDir] = process.argv.slice(2);
const m = await startFuse({ mountpoint, lockDir, fsModule: runtimePath("test/fuse/memfs.ts"), fsOptions: { manyCount: 5 }, workers: 2 });
try {
  const result = {
    compiled: COMPILED,
    names: fs.readdirSync(mountpoint).sort(),
    hello: fs.readFileSync(`${mountpoint}/hello.txt`, "utf8"),
    many: fs.readdirSync(`${mountpoint}/many`).length,
  };
  process.stdout.write(JSON.stringify(result) + "\n");
} finally {
  await m.unmount();
}
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
