// Where repository files are at run time, from source or inside the compiled executable.
//
// Bun embeds every entrypoint of `bun build --compile` at /$bunfs/root/<path relative to the
// entrypoints' common folder> (the repository root here: scripts/build.ts lists them). Under
// --bytecode, import.meta.url still names the source file on the build machine, so it cannot be
// used to find an embedded worker: Bun.main tells whether this is the executable.

export const COMPILED = Bun.main.startsWith("/$bunfs/");

/** Path of a repository file (e.g. "internal/fuse/worker.ts") usable with `new Worker(...)` or import(). */
export function runtimePath(repoRelative: string): string {
  if (COMPILED) return `/$bunfs/root/${repoRelative}`;
  return new URL(`../../${repoRelative}`, import.meta.url).pathname;
}
