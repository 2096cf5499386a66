export { UsageError, EXIT_OK, EXIT_FAILURE, EXIT_USAGE } from "./errors.ts";
export { formatBytes, formatRate, percent, table } from "./format.ts";
export { startProgress, progressEnabled, type Progress } from "./progress.ts";
export { parseSize, parseCdcOptions } from "./options.ts";
