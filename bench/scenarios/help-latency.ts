// How long `musicfs --help` takes from the compiled executable: the floor of every command's
// start-up, as a user or a script sees it (process spawn included). The reference, measured in
// the same run and in alternation: the same executable started as plain Bun (BUN_BE_BUN=1) running
// `-e 0`, i.e. what the runtime costs before any MusicFS code runs. On a fast machine that floor is
// a few ms; on a 2-core VM where a page fault costs ~20 us it is ~19 ms, so the absolute wall time
// says more about the machine than about us, and `over-floor` is what our code adds.
import { defineScenario, SkipScenario } from "../../internal/bench/index.ts";
import { findMusicfsBinary, NOT_BUILT } from "./binary.ts";

function spawnMs(argv: string[], env?: Record<string, string>): number {
  const t0 = Bun.nanoseconds();
  const r = Bun.spawnSync(argv, { stdout: "ignore", stderr: "ignore", env });
  const ms = (Bun.nanoseconds() - t0) / 1e6;
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} exited with ${r.exitCode}`);
  return ms;
}

export const helpLatency = defineScenario({
  id: "help-latency",
  description: "Wall time of `dist/musicfs --help` (spawn to exit), and over the runtime's own start",
  metrics: [
    { id: "wall", unit: "ms", better: "lower", description: "`musicfs --help`, spawn to exit" },
    { id: "runtime-floor", unit: "ms", better: "lower", description: "the same executable as plain Bun (BUN_BE_BUN=1) running `-e 0`, spawn to exit" },
    { id: "over-floor", unit: "ms", better: "lower", description: "wall minus runtime-floor of the pair measured back to back" },
  ],
  // Many pairs: each costs ~60 ms, and a median over few differences of two ~25 ms spawns swung by ±3 ms on the CI VM.
  repeat: { full: 41, quick: 31 },
  warmup: { full: 3, quick: 2 },
  setup(ctx) {
    const bin = findMusicfsBinary();
    if (!bin) throw new SkipScenario(NOT_BUILT);
    const asBun = { ...(process.env as Record<string, string>), BUN_BE_BUN: "1" };
    ctx.note(`floor: BUN_BE_BUN=1 ${bin} -e 0 (Bun ${Bun.version} starting, no MusicFS code), alternating with --help`);
    return { bin, asBun, env: { ...(process.env as Record<string, string>) }, runs: 0 };
  },
  run(st) {
    const { bin, asBun, env } = st;
    // Who goes first alternates, so neither always runs right after the other.
    const helpFirst = st.runs++ % 2 === 0;
    const a = helpFirst ? spawnMs([bin, "--help"], env) : 0;
    const floor = spawnMs([bin, "-e", "0"], asBun);
    const wall = helpFirst ? a : spawnMs([bin, "--help"], env);
    return { wall, "runtime-floor": floor, "over-floor": wall - floor };
  },
});
