// Child process for the kernel tests: mounts the demo FS at argv[2] (lock dir argv[3]).
// Mode (argv[4]): "" serves until killed (the test kills it with SIGKILL to leave a dead mount);
// "signals" also unmounts on SIGTERM; "selfcheck" reads through its own mount, prints the results
// as JSON and unmounts (used as a non-root user, whose mount root cannot see without allow_other).
import * as fs from "node:fs";
import { startFuse, unmountOnSignals } from "../../internal/fuse/index.ts";

const [mountpoint, lockDir, mode] = process.argv.slice(2);
const m = await startFuse({
  mountpoint,
  fsModule: new URL("./memfs.ts", import.meta.url).pathname,
  fsOptions: { manyCount: 10 },
  lockDir,
  workers: mode === "selfcheck" ? 2 : 1,
});
if (mode === "selfcheck") {
  const result = {
    uid: process.getuid?.(),
    method: m.method,
    hello: fs.readFileSync(`${mountpoint}/hello.txt`, "utf8"),
    size: fs.statSync(`${mountpoint}/big.bin`).size,
    many: fs.readdirSync(`${mountpoint}/many`).length,
  };
  await m.unmount();
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}
if (mode === "signals") unmountOnSignals(m);
process.stdout.write(`ready ${m.dev}\n`);
setInterval(() => {}, 1 << 30);
