// Test entry: runs one sync in its own process so a test can kill -9 it at any moment.
//   bun test/sync/child.ts local SRC DST
//   bun test/sync/child.ts push SRC musicfs://HOST:PORT/NAME TOKEN
//   bun test/sync/child.ts pull musicfs://HOST:PORT/NAME DST TOKEN
import * as fs from "node:fs";
import { syncFolders } from "../../internal/sync/index.ts";
import { parseRemoteSpec, syncRemote } from "../../internal/sync/remote/index.ts";

const [mode, a, b, token] = process.argv.slice(2);
// Tells the test that start-up is over, so its random kill lands inside the sync itself.
// writeSync: process.stdout.write to a pipe may flush only when the event loop idles.
fs.writeSync(1, "start\n");
// And when the first bytes are written (or sent), so kills can be aimed at that phase too.
let writing = false;
const onProgress = (done: number) => {
  if (!writing && done > 0) {
    writing = true;
    fs.writeSync(1, "writing\n");
  }
};
const stats =
  mode === "local"
    ? await syncFolders(a, b, { delete: true, onProgress })
    : mode === "push"
      ? await syncRemote({ src: a, push: parseRemoteSpec(b) }, { delete: true, token, onProgress })
      : await syncRemote({ pull: parseRemoteSpec(a), dst: b }, { delete: true, token, onProgress });
process.stdout.write(JSON.stringify(stats) + "\n");
process.exit(stats.errors.length > 0 ? 1 : 0);
