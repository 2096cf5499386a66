// The Prefetch RPC's contract, over a stand-in backend (the real one, the mount's prefetcher over
// S3, is exercised in test/mount/origins.test.ts): progress per track, refusals by code.
import { afterAll, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { MusicFS } from "../../proto/gen/musicfs/v1/musicfs_pb.ts";
import type { PrefetchBackend } from "../../internal/rpc/index.ts";
import { clientFor, startTestServer, type TestServer } from "./helpers.ts";

const known = new Map([["/a.flac", 1000], ["/b.flac", 2500]]);
const backend: PrefetchBackend = {
  async *run(paths) {
    const unknown = paths.find((p) => !known.has(p));
    if (unknown) return yield { path: unknown, completed: 0, total: paths.length, bytes: 0, error: "no such track" };
    let bytes = 0;
    for (let i = 0; i < paths.length; i++) {
      bytes += known.get(paths[i])!;
      yield { path: paths[i], completed: i + 1, total: paths.length, bytes, error: paths[i] === "/b.flac" && paths.length > 2 ? "origin s3 is unreachable" : undefined };
    }
  },
};

const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

async function collect(it: AsyncIterable<{ currentPath: string; completed: number; total: number; bytesFetched: bigint }>) {
  const out: string[] = [];
  for await (const p of it) out.push(`${p.currentPath} ${p.completed}/${p.total} ${p.bytesFetched}`);
  return out;
}

test("Prefetch streams one progress message per track; bad requests get their codes", async () => {
  const s = await startTestServer({ services: { prefetch: backend } });
  servers.push(s);
  const c = clientFor(MusicFS, s.address, "grpc");
  expect(await collect(c.prefetch({ paths: ["/a.flac", "/b.flac"] }))).toEqual(["/a.flac 1/2 1000", "/b.flac 2/2 3500"]);
  const codeOf = async (paths: string[]) => {
    try {
      await collect(c.prefetch({ paths }));
      return "ok";
    } catch (e) {
      const ce = ConnectError.from(e);
      return `${Code[ce.code]}: ${ce.rawMessage}`;
    }
  };
  expect(await codeOf([])).toStartWith("InvalidArgument");
  expect(await codeOf(Array.from({ length: 10_001 }, (_, i) => `/${i}`))).toStartWith("InvalidArgument");
  expect(await codeOf(["/a.flac", "/nope.flac"])).toBe('NotFound: prefetch of "/nope.flac" failed: no such track');
  expect(await codeOf(["/a.flac", "/b.flac", "/a.flac"])).toStartWith("Unavailable");
});
