// Stand-in for cmd/musicfs.ts in the serve tests: a cac CLI with only `serve` registered, with the
// same UsageError → exit 2 handling, so the tests do not depend on the real entry's wiring.
import { cac } from "cac";
import { register } from "../../cmd/serve.ts";
import { UsageError } from "../../internal/cli/index.ts";

const cli = cac("musicfs");
register(cli);
cli.help();
// No top-level await, like the real entry: the compiled executable is built with --bytecode.
async function main(): Promise<void> {
  cli.parse(process.argv, { run: false });
  try {
    await cli.runMatchedCommand();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`musicfs: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}
void main();
