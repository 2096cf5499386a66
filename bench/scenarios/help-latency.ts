// How long `musicfs --help` takes from the compiled executable: the floor of every command's
// start-up, as a user or a script sees it (process spawn included).
import { defineScenario, SkipScenario } from "../../internal/bench/index.ts";
import { findMusicfsBinary, NOT_BUILT } from "./binary.ts";

export const helpLatency = defineScenario({
  id: "help-latency",
  description: "Wall time of `dist/musicfs --help` (spawn to exit)",
  metrics: [{ id: "wall", unit: "ms", better: "lower" }],
  repeat: { full: 30, quick: 10 },
  warmup: { full: 3, quick: 2 },
  setup() {
    const bin = findMusicfsBinary();
    if (!bin) throw new SkipScenario(NOT_BUILT);
    return { bin };
  },
  run({ bin }) {
    const t0 = Bun.nanoseconds();
    const r = Bun.spawnSync([bin, "--help"], { stdout: "ignore", stderr: "ignore" });
    const ns = Bun.nanoseconds() - t0;
    if (r.exitCode !== 0) throw new Error(`${bin} --help exited with ${r.exitCode}`);
    return { wall: ns / 1e6 };
  },
});
