// Runs s3rver under Node (started by s3.ts). Why Node and not in-process under Bun: s3rver signs
// its ListObjectsV2 continuation tokens with DES, which Bun's crypto does not offer under that
// name, so every truncated listing (pagination) fails there. Node needs --openssl-legacy-provider.
// Prints {"port":N} once listening; exits on SIGTERM or when stdin closes (parent gone).
"use strict";
const S3rver = require("s3rver");
const [dir, bucket] = process.argv.slice(2);
const srv = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
srv.run().then((info) => process.stdout.write(JSON.stringify({ port: info.port }) + "\n"), (e) => {
  process.stderr.write(String(e && e.stack || e) + "\n");
  process.exit(1);
});
const stop = () => srv.close().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
