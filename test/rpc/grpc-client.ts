// Child-process client for the protocol tests: the server and this client do not share a process
// or event loop, as with a real deployment. Usage: bun grpc-client.ts ADDRESS PROTOCOL [TOKEN]
// Prints one JSON object.
import { ConnectError } from "@connectrpc/connect";
import { MusicFS } from "../../proto/gen/musicfs/v1/musicfs_pb.ts";
import { bearer, clientFor, type Protocol } from "./helpers.ts";

const [address, protocol, token] = process.argv.slice(2) as [string, Protocol, string | undefined];
const c = clientFor(MusicFS, address, protocol, token ? [bearer(token)] : []);
const out: Record<string, unknown> = {};
const r = await c.search({ query: "björk", limit: 2 });
out.search = { n: r.results.length, total: Number(r.totalMatches), first: r.results[0]?.virtualPath };
const ids: number[] = [];
for await (const m of c.searchStream({ query: "björk", limit: 3 })) ids.push(Number(m.fileId));
out.stream = ids;
try {
  await c.search({ query: "" });
  out.empty = "OK";
} catch (e) {
  out.empty = [ConnectError.from(e).code, ConnectError.from(e).rawMessage];
}
const st = await c.getStatus({});
out.status = { version: st.version, filesIndexed: Number(st.filesIndexed) };
process.stdout.write(JSON.stringify(out) + "\n");
