// NFS/SMB wrappers: the kernel here has no NFS or SMB client, so the retry rules are tested with
// an fs layer that fails with ESTALE/ENOTCONN a given number of times, and an injected sleep that
// records the delays instead of waiting.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type FsLayer, nodeFsLayer } from "../../internal/origins/fs-layer.ts";
import { childProbe, createNfsOrigin, createSmbOrigin } from "../../internal/origins/mounted-share.ts";
import { OriginError } from "../../internal/origins/types.ts";

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-share-"));
  fs.writeFileSync(path.join(root, "a.flac"), "abcdef");
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function flaky(code: string, failures: number) {
  const state = { left: failures, calls: 0 };
  const fail = () => {
    state.calls++;
    if (state.left > 0) {
      state.left--;
      throw Object.assign(new Error(`${code}: injected`), { code });
    }
  };
  const layer: FsLayer = {
    realpath: async (p) => (fail(), nodeFsLayer.realpath(p)),
    stat: (p) => nodeFsLayer.stat(p),
    readdir: (p) => nodeFsLayer.readdir(p),
    readRange: async (p, o, l) => (fail(), nodeFsLayer.readRange(p, o, l)),
  };
  return { layer, state };
}

describe("nfs", () => {
  test("ESTALE is retried 3 times after 100, 200, 400 ms", async () => {
    const { layer } = flaky("ESTALE", 3);
    const delays: number[] = [];
    const o = createNfsOrigin({ id: "nfs", path: root, fs: layer, sleep: async (ms) => void delays.push(ms) });
    expect(new TextDecoder().decode(await o.read("/a.flac", 1, 2))).toBe("bc");
    expect(delays).toEqual([100, 200, 400]);
    expect(o.displayName).toBe(`NFS: ${root}`);
  });

  test("a fourth ESTALE is an error; other errors are not retried", async () => {
    const { layer, state } = flaky("ESTALE", 4);
    const delays: number[] = [];
    const o = createNfsOrigin({ id: "nfs", path: root, fs: layer, sleep: async (ms) => void delays.push(ms) });
    const err = await o.read("/a.flac", 0, 1).catch((e) => e);
    expect(err).toBeInstanceOf(OriginError);
    expect(err.code).toBe("ESTALE");
    expect(state.calls).toBe(4);
    const enotconn = flaky("ENOTCONN", 1);
    const o2 = createNfsOrigin({ id: "nfs", path: root, fs: enotconn.layer, sleep: async (ms) => void delays.push(ms) });
    expect((await o2.read("/a.flac", 0, 1).catch((e) => e)).code).toBe("ENOTCONN");
    expect(enotconn.state.calls).toBe(1);
  });

  test("real delays are waited for", async () => {
    const { layer } = flaky("ESTALE", 1);
    const o = createNfsOrigin({ id: "nfs", path: root, fs: layer });
    expect((await o.read("/a.flac", 0, 6)).length).toBe(6);
  });
});

describe("smb", () => {
  test("ENOTCONN is retried 3 times, 100 ms apart", async () => {
    const { layer } = flaky("ENOTCONN", 3);
    const delays: number[] = [];
    const o = createSmbOrigin({ id: "smb", path: root, remote: "//server/music", fs: layer, sleep: async (ms) => void delays.push(ms) });
    expect((await o.read("/a.flac", 0, 6)).length).toBe(6);
    expect(delays).toEqual([100, 100, 100]);
    expect(o.displayName).toBe("SMB: //server/music");
    const four = flaky("ENOTCONN", 4);
    const o2 = createSmbOrigin({ id: "smb", path: root, fs: four.layer, sleep: async () => {} });
    expect((await o2.read("/a.flac", 0, 6).catch((e) => e)).code).toBe("ENOTCONN");
  });
});

describe("health probe in a child process", () => {
  test("healthy root, missing root, and a hung stat is cut at the deadline", async () => {
    const o = createNfsOrigin({ id: "nfs", path: root });
    expect((await o.health()).status).toBe("healthy");
    const gone = createSmbOrigin({ id: "smb", path: path.join(root, "missing") });
    const h = await gone.health();
    expect(h.status).toBe("unhealthy");
    // A probe that never answers (stands in for stat on a dead hard mount).
    const hung = createNfsOrigin({ id: "nfs", path: root, healthTimeoutMs: 200, probe: (_r, t) => childProbe(["sleep", "30"], t, "stat") });
    const hh = await hung.health();
    expect(hh.status).toBe("unhealthy");
    expect(hh.error).toContain("200 ms");
  });
});

