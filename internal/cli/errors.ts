/** A mistake in how the command was called: printed without a stack, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const EXIT_OK = 0;
/** The command ran, but something failed (a file could not be read, a target was missed). */
export const EXIT_FAILURE = 1;
/** Bad usage: unknown command or flag, bad value, missing argument. */
export const EXIT_USAGE = 2;
