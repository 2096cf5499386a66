// `--config FILE` for the commands that take one: a bad config is a usage error (exit 2) naming
// the key, and warnings (a file others can read, inline secrets) go to stderr.
import { ConfigError, loadConfig, type MusicFsConfig } from "../config/index.ts";
import { UsageError } from "./errors.ts";

export function loadConfigOption(file: string, command: string): MusicFsConfig {
  try {
    return loadConfig(file, { warn: (m) => process.stderr.write(`musicfs ${command}: ${m}\n`) });
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
}
