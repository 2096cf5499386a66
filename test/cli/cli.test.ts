// The CLI as users call it: exit codes, --help, --json shapes, errors that never crash the run.
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { lcgBytes, REPO, runCli, tempDir } from "../helpers.ts";

const work = tempDir();
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("musicfs CLI", () => {
  test("--help lists every subcommand; --version prints the version", () => {
    const help = runCli(["--help"]);
    expect(help.code).toBe(0);
    for (const c of ["chunk", "diff", "sync", "mount", "serve", "bench"]) expect(help.stdout).toContain(c);
    const v = runCli(["--version"]);
    expect(v.code).toBe(0);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
    expect(v.stdout).toContain(`musicfs ${pkg.version}`);
  });

  test("the top-level help table matches what each command registers (commands load lazily)", async () => {
    const { cac } = await import("cac");
    const { COMMANDS } = await import("../../cmd/commands.ts");
    for (const [name, entry] of Object.entries(COMMANDS)) {
      const cli = cac("musicfs");
      (await entry.load()).register(cli);
      expect(cli.commands.map((c) => [c.name, c.rawName, c.description])).toEqual([[name, entry.usage, entry.summary]]);
    }
  });

  test("an option before the command name is a usage error, not a silent no-op", () => {
    const r = runCli(["--json", "x", "chunk"]);
    expect(r.code).toBe(2);
  });

  test("each subcommand has --help", () => {
    for (const c of ["chunk", "diff", "sync", "mount", "serve", "bench"]) {
      const r = runCli([c, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`musicfs ${c}`);
    }
  });

  test("unknown subcommand and unknown flag: clear message, exit 2", () => {
    const a = runCli(["frobnicate"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("unknown command 'frobnicate'");
    const b = runCli(["chunk", "--no-such-flag", "x"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("Unknown option");
    expect(b.stderr).toContain("musicfs chunk --help");
    const c = runCli(["chunk", "--avg", "30000", "x"]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain("power of two");
    const d = runCli(["chunk"]);
    expect(d.code).toBe(2);
  });

  test("chunk --json: a stable object with per-file stats and a total; --list adds chunk ids", () => {
    const d = path.join(work, "lib");
    fs.mkdirSync(path.join(d, "Artist", "Album"), { recursive: true });
    fs.writeFileSync(path.join(d, "Artist", "Album", "01.flac"), lcgBytes(1_500_000, 11n));
    fs.writeFileSync(path.join(d, "Artist", "Album", "02.flac"), lcgBytes(700_000, 12n));
    fs.writeFileSync(path.join(d, "empty.mp3"), "");
    const r = runCli(["chunk", "--json", "--list", d]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.schema).toBe(1);
    expect(j.params).toEqual({ min: 16384, avg: 65536, max: 262144 });
    expect(j.files).toHaveLength(3);
    const f1 = j.files.find((f: { path: string }) => f.path.endsWith("01.flac"));
    expect(f1.bytes).toBe(1_500_000);
    expect(f1.list.reduce((a: number, c: { length: number }) => a + c.length, 0)).toBe(1_500_000);
    expect(f1.list[0].id).toMatch(/^[0-9a-f]{64}$/);
    expect(f1.list[0].id).toBe(new Bun.CryptoHasher("sha256").update(lcgBytes(1_500_000, 11n).subarray(0, f1.list[0].length)).digest("hex"));
    expect(j.total.bytes).toBe(2_200_000);
    expect(j.total.files).toBe(3);
    expect(j.total.histogram.reduce((a: number, b: { count: number }) => a + b.count, 0)).toBe(j.total.chunks);
    expect(j.errors).toEqual([]);
  });

  test("chunk with a missing path reports it, finishes the rest, exits 1", () => {
    const f = path.join(work, "one.bin");
    fs.writeFileSync(f, lcgBytes(100_000, 1n));
    const r = runCli(["chunk", "--json", f, path.join(work, "does-not-exist")]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.files).toHaveLength(1);
    expect(j.errors).toHaveLength(1);
    expect(j.errors[0].path).toContain("does-not-exist");
    expect(r.stderr).toContain("does-not-exist");
  });

  test("chunk of an unreadable file (as non-root) or a vanished one never crashes", () => {
    const d = path.join(work, "odd");
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, "ok.bin"), lcgBytes(50_000, 2n));
    fs.symlinkSync(path.join(d, "nowhere"), path.join(d, "dangling"));
    const r = runCli(["chunk", "--json", d]);
    // A dangling symlink is not a file to chunk: skipped, not an error.
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).files).toHaveLength(1);
  });

  test("diff of two files prints reuse; --json total matches", () => {
    const a = path.join(work, "a.bin");
    const b = path.join(work, "b.bin");
    const data = lcgBytes(2 << 20);
    fs.writeFileSync(a, data);
    data[1 << 20] ^= 1;
    fs.writeFileSync(b, data);
    const text = runCli(["diff", a, b]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("modified");
    expect(text.stdout).toMatch(/reused \(9\d\.\d\d %\)/);
    const j = JSON.parse(runCli(["diff", "--json", "--min", "4K", "--avg", "16K", "--max", "64K", a, b]).stdout);
    expect(j.total.reusePercent).toBeGreaterThanOrEqual(99);
    const missing = runCli(["diff", a, path.join(work, "nope")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no such file");
  });

  test("a usage error inside a subcommand (unknown bench scenario) exits 2 with the reason", () => {
    const r = runCli(["bench", "no-such-scenario"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no-such-scenario");
  });
});
