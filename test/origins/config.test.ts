import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inspect } from "node:util";
import { ConfigError, loadConfig, parseConfig, resolveCredentials, Secret } from "../../internal/config/index.ts";

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-config-"))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const FULL = `
mount_point = "/mnt/music"
cache_dir = "/var/cache/musicfs"

[cache]
content_cache_gb = 2

[health.per_origin_thresholds]
s3 = 5

[[origins]]
id = "home"
origin_type = "local"
priority = 1
path = "/srv/music"

[[origins]]
id = "nas"
origin_type = "nfs"
priority = 10
path = "/mnt/nas/music"
remote = "nas:/export/music"

[[origins]]
id = "bucket"
origin_type = "s3"
priority = 20
bucket = "music"
endpoint = "http://127.0.0.1:9000"
prefix = "library"
credentials = { source = "env", prefix = "MUSICFS_S3" }

[[origins]]
id = "box"
origin_type = "sftp"
priority = 30
host = "seedbox.example"
user = "music"
path = "/home/music/library"
enabled = false
[origins.credentials]
source = "file"
path = "/etc/musicfs/box.toml"

[logging]
level = "info"
`;

function err(text: string): string {
  try {
    parseConfig(text);
    return "no error";
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
}

const ORIGIN = `cache_dir = "/c"\n[[origins]]\nid = "a"\norigin_type = "local"\npriority = 1\npath = "/m"\n`;

describe("config", () => {
  test("full example with defaults", () => {
    const c = parseConfig(FULL);
    expect(c.mountPoint).toBe("/mnt/music");
    expect(c.cache.maxBytes).toBe(2 * 1024 ** 3);
    expect(c.cache.readaheadBytes).toBe(8 * 1024 * 1024);
    expect(c.health).toMatchObject({ checkIntervalMs: 30000, timeoutMs: 5000, unhealthyThreshold: 3 });
    // Type defaults survive an explicit [health] table.
    expect(c.health.perOriginThresholds).toEqual({ local: 1, nfs: 3, smb: 3, s3: 5, sftp: 3 });
    expect(c.failover).toEqual({ retries: 3, baseDelayMs: 100, maxDelayMs: 2000, hedgeAfterMs: 1500, requestTimeoutMs: 30000 });
    const [home, nas, bucket, box] = c.origins;
    expect(home).toMatchObject({ type: "local", priority: 1, enabled: true, path: "/srv/music" });
    expect(nas).toMatchObject({ type: "nfs", remote: "nas:/export/music" });
    expect(bucket).toMatchObject({ type: "s3", region: "us-east-1", prefix: "library/", pathStyle: true, timeoutMs: 30000, credentials: { source: "env", prefix: "MUSICFS_S3" } });
    expect(box).toMatchObject({ type: "sftp", port: 22, enabled: false, acceptUnknownHostKey: false, poolSize: 4, credentials: { source: "file", path: "/etc/musicfs/box.toml" } });
    expect(c.raw.logging).toEqual({ level: "info" });
  });

  test("errors name the key", () => {
    expect(err(`[[origins]]\nid="a"\norigin_type="local"\npriority=1\npath="/m"`)).toContain("cache_dir: is required");
    expect(err(`cache_dir = "/c"`)).toContain("origins: at least one");
    expect(err(ORIGIN.replace('"local"', '"ftp"'))).toContain('origins[0].origin_type: unknown origin type "ftp"');
    expect(err(ORIGIN.replace("priority = 1", "priority = 300"))).toContain("origins[0].priority: must be an integer from 0 to 255");
    expect(err(ORIGIN.replace("priority = 1", 'priority = "high"'))).toContain("origins[0].priority");
    expect(err(ORIGIN.replace('path = "/m"', 'path = "rel/m"'))).toContain("origins[0].path: must be an absolute path");
    expect(err(ORIGIN + "pth = 1\n")).toContain("origins[0].pth: unknown key");
    expect(err(ORIGIN + ORIGIN.replace('cache_dir = "/c"\n', ""))).toContain('origins[1].id: duplicate origin id "a"');
    expect(err(ORIGIN + "[cache]\ncontent_cache_gb = -1\n")).toContain("cache.content_cache_gb");
    expect(err(ORIGIN + "[health]\ntimeout_ms = 0\n")).toContain("health.timeout_ms");
    expect(err(ORIGIN + "[health.per_origin_thresholds]\nftp = 2\n")).toContain("health.per_origin_thresholds.ftp: unknown key");
    expect(err("cache_dir = ")).toContain("not valid TOML");
    // A parse error must not quote a value that may be a secret.
    const leak = err('cache_dir = "/c"\npassword = hunter2-secret-value\n');
    expect(leak).toContain("not valid TOML");
    expect(leak).not.toContain("hunter2-secret-value");
    expect(err(`cache_dir="/c"\n[[origins]]\nid="b"\norigin_type="s3"\npriority=1\nbucket="x"\nendpoint="http://AKIA:secret@host"`)).toContain("origins[0].endpoint: must not carry credentials");
    expect(err(`cache_dir="/c"\n[[origins]]\nid="n"\norigin_type="smb"\npriority=1\npath="/mnt/x"\nremote="smb://me:pw@nas/music"`)).toContain("origins[0].remote: must not carry a password");
    expect(err(`cache_dir="/c"\n[[origins]]\nid="b"\norigin_type="s3"\npriority=1\nbucket="x"\ncredentials={source="vault"}`)).toContain("origins[0].credentials.source");
    expect(err(`cache_dir="/c"\n[[origins]]\nid="b"\norigin_type="sftp"\npriority=1`)).toContain("origins[0].host: is required");
  });

  test("CLI overrides make mount_point/cache_dir optional", () => {
    const c = parseConfig(ORIGIN.replace('cache_dir = "/c"\n', ""), { cacheDir: "/x", mountPoint: "/y" });
    expect(c.cacheDir).toBe("/x");
    expect(c.mountPoint).toBe("/y");
  });

  test("a config or credentials file readable by others warns", () => {
    const f = path.join(tmp, "c.toml");
    fs.writeFileSync(f, ORIGIN, { mode: 0o644 });
    fs.chmodSync(f, 0o644);
    const warnings: string[] = [];
    loadConfig(f, { warn: (m) => warnings.push(m) });
    expect(warnings.join("\n")).toMatch(/readable by group or others.*chmod 600/);
    fs.chmodSync(f, 0o600);
    expect(loadConfig(f).warnings).toEqual([]);
    const cred = path.join(tmp, "cred.toml");
    fs.writeFileSync(cred, 'access_key_id = "AKIAEXAMPLE"\nsecret_access_key = "s3cr3t-value-123"\n');
    fs.chmodSync(cred, 0o640);
    const w2: string[] = [];
    const c = resolveCredentials({ source: "file", path: cred }, "origins[0].credentials", { warn: (m) => w2.push(m) });
    expect(w2.length).toBe(1);
    expect(c.secretAccessKey?.reveal()).toBe("s3cr3t-value-123");
  });
});

describe("credentials never leak", () => {
  const SECRET = "hunter2-very-secret";
  test("Secret redacts in every printer", () => {
    const s = new Secret(SECRET);
    const holder = { user: "u", password: s, nested: { list: [s] } };
    const outputs = [
      String(s), `${s}`, "" + s, JSON.stringify(holder), inspect(holder), inspect(holder, { showHidden: true, depth: 10 }),
      Bun.inspect(holder), Bun.inspect(s), s.toString(), String([s]), JSON.stringify(s),
    ];
    for (const o of outputs) {
      expect(o).not.toContain(SECRET);
    }
    expect(outputs.join()).toContain("[REDACTED]");
    expect(s.reveal()).toBe(SECRET);
  });

  test("env, inline and file sources wrap secrets", () => {
    const env = { P_ACCESS_KEY_ID: "AKIA1234", P_SECRET_ACCESS_KEY: SECRET, P_SESSION_TOKEN: SECRET + "t", P_PASSWORD: SECRET + "p" };
    const c = resolveCredentials({ source: "env", prefix: "P" }, "k", { env });
    expect(c.accessKeyId).toBe("AKIA1234");
    expect(c.secretAccessKey?.reveal()).toBe(SECRET);
    for (const o of [JSON.stringify(c), inspect(c, { depth: 10 }), Bun.inspect(c), String(Object.values(c))]) expect(o).not.toContain(SECRET);
    const i = resolveCredentials({ source: "inline", values: { username: "m", password: SECRET } }, "k");
    expect(JSON.stringify(i)).not.toContain(SECRET);
    expect(i.password?.reveal()).toBe(SECRET);
  });

  test("errors about credentials do not quote them", () => {
    const bad = path.join(tmp, "bad.toml");
    fs.writeFileSync(bad, `secret_access_key = "${SECRET}\n`, { mode: 0o600 });
    const e1 = (() => { try { resolveCredentials({ source: "file", path: bad }, "k"); } catch (e) { return e as Error; } })();
    expect(e1?.message).toContain("not valid TOML");
    expect(e1?.message).not.toContain(SECRET);
    const e2 = (() => { try { resolveCredentials({ source: "inline", values: { pasword: SECRET } }, "k"); } catch (e) { return e as Error; } })();
    expect(e2?.message).toContain("k.pasword: unknown credential field");
    expect(e2?.message).not.toContain(SECRET);
  });
});

test("[cache.shared]: an S3 location for the shared chunk store, checked like an S3 origin's", () => {
  const cfg = (shared: string) => parseConfig(`cache_dir = "/var/cache/musicfs"\n${shared}\n[[origins]]\nid = "home"\norigin_type = "local"\npriority = 1\npath = "/srv/music"\n`);
  const c = cfg(`[cache.shared]\nbucket = "team-cache"\nendpoint = "http://127.0.0.1:9000"\ncredentials = { source = "env", prefix = "SHARED" }`);
  expect(c.cache.shared).toMatchObject({ bucket: "team-cache", endpoint: "http://127.0.0.1:9000", prefix: "musicfs-chunks/", pathStyle: true, timeoutMs: 30000 });
  expect(c.cache.shared?.credentials).toMatchObject({ source: "env", prefix: "SHARED" });
  expect(cfg("").cache.shared).toBeUndefined();
  expect(() => cfg(`[cache.shared]\nendpoint = "http://127.0.0.1:9000"`)).toThrow(/cache\.shared\.bucket/);
  expect(() => cfg(`[cache.shared]\nbucket = "b"\nbukcet = "x"`)).toThrow(/bukcet/);
  expect(() => cfg(`[cache.shared]\nbucket = "b"\nendpoint = "http://key:secret@127.0.0.1:9000"`)).toThrow(/must not carry credentials/);
});
