// Child process for the kernel tests: mounts the demo FS at argv[2] (lock dir argv[3]), prints
// "ready", and serves until killed. The test kills it with SIGKILL to leave a dead mount behind.
import { startFuse, unmountOnSignals } from "../../internal/fuse/index.ts";

const m = await startFuse({
  mountpoint: process.argv[2],
  fsModule: new URL("./memfs.ts", import.meta.url).pathname,
  fsOptions: { manyCount: 10 },
  lockDir: process.argv[3],
  workers: 1,
});
if (process.argv[4] === "signals") unmountOnSignals(m);
process.stdout.write(`ready ${m.dev}\n`);
setInterval(() => {}, 1 << 30);
