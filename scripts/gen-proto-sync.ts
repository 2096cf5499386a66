// Regenerates proto/gen/musicfs/sync/v1 from proto/musicfs/sync/v1/sync.proto with buf +
// protoc-gen-es (target ts). The output is committed; run this after editing the .proto.
//
//   bun scripts/gen-proto-sync.ts          regenerate
//   bun scripts/gen-proto-sync.ts --check  fail if the committed code is stale
//
// Only our own output folder is cleaned: proto/gen is shared with the musicfs.v1 API.
import { $ } from "bun";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(import.meta.dir, "..");
const protoDir = path.join(root, "proto");
const OWN = "musicfs/sync/v1";
const env = { ...process.env, PATH: `${path.join(root, "node_modules/.bin")}:${process.env.PATH ?? ""}` };

async function generate(outParent: string): Promise<void> {
  fs.rmSync(path.join(outParent, "gen", OWN), { recursive: true, force: true });
  const res = await $`buf generate --template buf.gen.sync.yaml --output ${outParent}`.cwd(protoDir).env(env).nothrow().quiet();
  if (res.exitCode !== 0) {
    process.stderr.write(res.stderr.toString() || res.stdout.toString());
    process.exit(res.exitCode);
  }
}

function files(dir: string): string[] {
  return fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort() : [];
}

if (!process.argv.includes("--check")) {
  await generate(protoDir);
  for (const f of files(path.join(protoDir, "gen", OWN))) console.log(`proto/gen/${OWN}/${f}`);
} else {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-gen-sync-"));
  try {
    await generate(scratch);
    const fresh = path.join(scratch, "gen", OWN);
    const committed = path.join(protoDir, "gen", OWN);
    const stale = [...new Set([...files(fresh), ...files(committed)])].filter((n) => {
      const a = path.join(fresh, n);
      const b = path.join(committed, n);
      return !fs.existsSync(a) || !fs.existsSync(b) || !fs.readFileSync(a).equals(fs.readFileSync(b));
    });
    if (stale.length > 0) {
      console.error(`generated code is stale, run: bun scripts/gen-proto-sync.ts\n  ${stale.join("\n  ")}`);
      process.exit(1);
    }
    console.log("generated code is up to date");
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
