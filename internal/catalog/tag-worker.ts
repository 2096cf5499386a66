// Worker side of the tag pool (tag-pool.ts): reads fingerprint, cover presence and tags of a
// chunk of files, one after another, and answers with their facts in the same order. Must be
// listed as an entrypoint of the compiled build (scripts/build.ts), like the chunk worker.
import { readFileFacts } from "./read-tags.ts";
import type { TagReply, TagRequest } from "./tag-pool.ts";

declare const self: Worker;

const ready: TagReply = { id: 0, facts: [] };
self.postMessage(ready);

async function handle(req: TagRequest): Promise<void> {
  const facts = [];
  for (const f of req.files) {
    facts.push(await readFileFacts(f.path, f.size, f.format));
    Atomics.add(req.progress, 0, 1);
  }
  const reply: TagReply = { id: req.id, facts };
  self.postMessage(reply);
}

// One request at a time, in arrival order, even when a parse awaits something that yields to the
// event loop (music-metadata loads each format's parser on first use): the pool's progress
// counter and its idea of which file a stuck worker is on depend on that order. Reads are
// synchronous (file-tokenizer.ts), so interleaving files would not be faster anyway.
let chain: Promise<void> = Promise.resolve();
self.onmessage = (ev: MessageEvent<TagRequest>) => {
  chain = chain.then(() => handle(ev.data));
};
