// Regenerates the TypeScript for the musicfs.v1 API and grpc.health.v1 into proto/gen/ with
// `buf generate` + protoc-gen-es v2 (target ts). The output is committed, so neither the build nor
// the tests need buf; run this after editing a .proto and commit the result.
//
//   bun scripts/gen-proto.ts          regenerate
//   bun scripts/gen-proto.ts --check  fail if the committed code is stale (for CI or a hook)
//
// proto/gen/ is shared with other APIs (musicfs/sync/v1 has its own buf.gen file), so only our
// own output folders are cleaned, never proto/gen as a whole.
import { $ } from "bun";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(import.meta.dir, "..");
const protoDir = path.join(root, "proto");
const OWN_OUTPUTS = ["musicfs/v1", "grpc/health/v1"];
const check = process.argv.includes("--check");

// buf and protoc-gen-es come from node_modules/.bin (devDependencies), not from the system.
const env = { ...process.env, PATH: `${path.join(root, "node_modules/.bin")}:${process.env.PATH ?? ""}` };

async function generate(outRoot: string): Promise<void> {
  for (const d of OWN_OUTPUTS) fs.rmSync(path.join(outRoot, d), { recursive: true, force: true });
  const res = await $`buf generate --template buf.gen.yaml --output ${path.dirname(outRoot)}`
    .cwd(protoDir)
    .env(env)
    .nothrow()
    .quiet();
  if (res.exitCode !== 0) {
    process.stderr.write(res.stderr.toString() || res.stdout.toString());
    process.exit(res.exitCode);
  }
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

if (!check) {
  await generate(path.join(protoDir, "gen"));
  for (const d of OWN_OUTPUTS) for (const f of listFiles(path.join(protoDir, "gen", d))) console.log(`proto/gen/${d}/${f}`);
} else {
  // Generate into a scratch copy (buf's --output prefixes the plugin's `out: gen`) and compare.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-gen-"));
  try {
    await generate(path.join(scratch, "gen"));
    const stale: string[] = [];
    for (const d of OWN_OUTPUTS) {
      const fresh = path.join(scratch, "gen", d);
      const committed = path.join(protoDir, "gen", d);
      const names = new Set([...listFiles(fresh), ...listFiles(committed)]);
      for (const n of names) {
        const a = path.join(fresh, n);
        const b = path.join(committed, n);
        if (!fs.existsSync(a) || !fs.existsSync(b) || !fs.readFileSync(a).equals(fs.readFileSync(b))) stale.push(`proto/gen/${d}/${n}`);
      }
    }
    if (stale.length > 0) {
      console.error(`generated code is stale, run: bun scripts/gen-proto.ts\n  ${stale.join("\n  ")}`);
      process.exit(1);
    }
    console.log("generated code is up to date");
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
