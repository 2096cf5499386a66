// Test entry for `musicfs sync` through cac, as the real CLI wires it (cmd/musicfs.ts is not ours).
import { cac } from "cac";
import { register } from "../../cmd/sync.ts";
import { EXIT_USAGE, UsageError } from "../../internal/cli/index.ts";

const cli = cac("musicfs");
register(cli);
cli.help();
try {
  cli.parse(process.argv, { run: false });
  if (!cli.matchedCommand) process.exit(EXIT_USAGE);
  await cli.runMatchedCommand();
} catch (e) {
  process.stderr.write(`musicfs: ${(e as Error).message}\n`);
  process.exit(e instanceof UsageError || (e as Error).name === "CACError" ? EXIT_USAGE : 1);
}
