// A tag worker for the pool's failure tests: like the real one (one request at a time, progress
// after each file), except that a file whose name contains "hang" blocks the thread (a parser
// stuck in a loop) and one containing "crash" kills the worker with an uncaught error (a bug).
import { readFileFacts } from "../../internal/catalog/read-tags.ts";
import type { TagReply, TagRequest } from "../../internal/catalog/tag-pool.ts";

declare const self: Worker;

const ready: TagReply = { id: 0, facts: [] };
self.postMessage(ready);

async function handle(req: TagRequest): Promise<void> {
  const facts = [];
  for (const f of req.files) {
    if (f.path.includes("hang")) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000); // until terminated
    if (f.path.includes("crash")) throw new Error("parser bug");
    facts.push(await readFileFacts(f.path, f.size, f.format));
    Atomics.add(req.progress, 0, 1);
  }
  const reply: TagReply = { id: req.id, facts };
  self.postMessage(reply);
}

let chain: Promise<void> = Promise.resolve();
self.onmessage = (ev: MessageEvent<TagRequest>) => {
  chain = chain.then(() => handle(ev.data));
};
