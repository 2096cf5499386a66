// docs/config.example.toml is what users copy: it must stay a valid config.
import { expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseConfig } from "../../internal/config/index.ts";
import { REPO } from "../helpers.ts";

test("docs/config.example.toml parses without warnings and names every origin type", () => {
  const c = parseConfig(fs.readFileSync(path.join(REPO, "docs/config.example.toml"), "utf8"));
  expect(c.warnings).toEqual([]);
  expect(c.origins.map((o) => o.type).sort()).toEqual(["local", "nfs", "s3", "sftp"]);
  expect(c.cacheDir).toBe("/var/cache/musicfs");
});
