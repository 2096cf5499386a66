// The flags of the product build (scripts/build.ts), shared with the test that builds a compiled
// FUSE demo so that it runs the same kind of executable.
//
// --splitting (ESM only): each command's modules are separate chunks that load when the command
// runs. Without it the whole bundle (SQLite, Connect, jimp, ...) is one module that every start
// pays for: `musicfs --help` was 44 ms and 1 600 page faults, now ~26 ms (a compiled hello-world
// takes ~19 ms on the same 2-core VM, where a page fault costs ~20 us).
export const COMPILE_FLAGS = ["--compile", "--minify", "--bytecode", "--splitting", "--format", "esm"];
