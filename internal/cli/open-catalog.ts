// Opening the catalog for a command: a failure (locked, corrupt, newer schema, unwritable) is
// reported on stderr with the command's name and sets exit code 1. Kept apart from index.ts so
// commands that never touch the catalog (chunk, diff) do not load SQLite.
import type { Database } from "bun:sqlite";
import { openCatalog } from "../catalog/index.ts";
import { EXIT_FAILURE } from "./errors.ts";

/** The open catalog, or null after reporting why it cannot be opened. */
export function openCatalogOrReport(command: string, dbPath: string): Database | null {
  try {
    return openCatalog(dbPath);
  } catch (e) {
    process.stderr.write(`musicfs ${command}: cannot open catalog ${dbPath}: ${(e as Error).message}\n`);
    process.exitCode = EXIT_FAILURE;
    return null;
  }
}
