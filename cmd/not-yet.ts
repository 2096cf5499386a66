// Subcommands whose subsystem has not landed yet: listed in --help, and say so clearly (exit 2).
import type { CAC } from "cac";
import { UsageError } from "../internal/cli/index.ts";

const PLANNED: Record<string, string> = {
  sync: "Delta sync between two folders, locally or to a remote musicfs serve",
  mount: "Mount a tag-organised FUSE view of a music library",
  serve: "Serve the Connect-RPC API (gRPC, gRPC-Web, Connect JSON on one port)",
  bench: "Check the non-functional targets with real statistics",
};

/** Registers a placeholder for each name not already registered. */
export function registerPlaceholders(cli: CAC, names: string[]): void {
  for (const name of names) {
    if (cli.commands.some((c) => c.name === name)) continue;
    cli
      .command(`${name} [...args]`, `${PLANNED[name] ?? name} (not available yet)`)
      .allowUnknownOptions()
      .action(() => {
        throw new UsageError(`'${name}' is not available yet in this build of musicfs`);
      });
  }
}
