// Shared helpers of the overlay tests: in-memory origins that fail loudly on out-of-range reads,
// the virtual file a plan describes, hand-built ID3v2 / FLAC variants the sample generator does not
// write, and python3 mutagen as a second, independent reader.
import * as fs from "node:fs";
import * as path from "node:path";
import type { OverlayPlan } from "../../internal/overlay/index.ts";

export const enc = new TextEncoder();

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface MemOrigin {
  readRange: (offset: number, length: number) => Promise<Uint8Array>;
  readSync: (offset: number, length: number) => Uint8Array;
  calls: [number, number][];
}

/**
 * An origin over `bytes` that records its calls and throws a plain Error (not an OverlayError) on
 * any read outside the file, so a test sees an out-of-range read as a failure.
 */
export function memOrigin(bytes: Uint8Array): MemOrigin {
  const calls: [number, number][] = [];
  const check = (offset: number, length: number) => {
    calls.push([offset, length]);
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > bytes.length) {
      throw new Error(`out-of-range read ${offset}+${length} of a ${bytes.length}-byte file`);
    }
  };
  return {
    calls,
    readRange: async (offset, length) => {
      check(offset, length);
      return bytes.subarray(offset, offset + length);
    },
    readSync: (offset, length) => {
      check(offset, length);
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** header + original[audioOffset .. audioOffset + (size - header.length)]: the file a plan describes. */
export function virtualFile(plan: OverlayPlan, original: Uint8Array): Uint8Array {
  const audioLen = plan.size - plan.header.length;
  return concat([plan.header, original.subarray(plan.audioOffset, plan.audioOffset + audioLen)]);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

// ---------------------------------------------------------------------------------------------
// Hand-built ID3v2 tags (for the variants samplelib does not write: v2.2, footer, extended header,
// unsynchronisation, non-synchsafe iTunes sizes, padding).

export function synchsafe(n: number): number[] {
  return [(n >>> 21) & 0x7f, (n >>> 14) & 0x7f, (n >>> 7) & 0x7f, n & 0x7f];
}

function be32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** ID3 unsynchronisation: a 0x00 after every 0xFF that is followed by >= 0xE0 or 0x00 (or ends the data). */
export function unsync(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    out.push(data[i]);
    if (data[i] === 0xff && (i + 1 === data.length || data[i + 1] >= 0xe0 || data[i + 1] === 0)) out.push(0);
  }
  return new Uint8Array(out);
}

export interface RawFrame {
  id: string;
  body: Uint8Array;
  /** v2.3/v2.4 flag bytes (status, format). */
  flags?: [number, number];
  /** v2.4: write the size as a plain 32-bit number (the iTunes bug). */
  plainSize?: boolean;
}

export interface RawTag {
  version: 2 | 3 | 4;
  frames: RawFrame[];
  padding?: number;
  /** v2.4 footer ("3DI"). */
  footer?: boolean;
  /** Extended header (v2.3/v2.4). */
  extended?: boolean;
  /** Tag-level unsynchronisation: the tag body is unsynchronised (v2.2/v2.3) / flag only (v2.4, frames do it). */
  unsync?: boolean;
}

export function id3Tag(t: RawTag): Uint8Array {
  const parts: number[] = [];
  if (t.extended) {
    if (t.version === 3) parts.push(...be32(6), 0, 0, 0, 0, 0, 0); // size 6 (excl. itself), flags, padding size
    else parts.push(...synchsafe(6), 1, 0); // size 6 incl. itself, 1 flag byte, no flags
  }
  for (const f of t.frames) {
    if (t.version === 2) {
      const n = f.body.length;
      parts.push(...enc.encode(f.id), (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, ...f.body);
    } else {
      const size = t.version === 4 && !f.plainSize ? synchsafe(f.body.length) : be32(f.body.length);
      parts.push(...enc.encode(f.id), ...size, ...(f.flags ?? [0, 0]), ...f.body);
    }
  }
  let body: Uint8Array = new Uint8Array(parts);
  if (t.unsync && t.version !== 4) body = unsync(body);
  body = concat([body, new Uint8Array(t.padding ?? 0)]);
  let flags = 0;
  if (t.unsync) flags |= 0x80;
  if (t.extended) flags |= 0x40;
  if (t.footer) flags |= 0x10;
  const head = new Uint8Array([0x49, 0x44, 0x33, t.version, 0, flags, ...synchsafe(body.length)]);
  const foot = t.footer ? new Uint8Array([0x33, 0x44, 0x49, t.version, 0, flags, ...synchsafe(body.length)]) : new Uint8Array(0);
  return concat([head, body, foot]);
}

/** A text frame body: encoding 3 (UTF-8) for v2.4, else Latin-1 (encoding 0) when possible. */
export function textBody(version: 2 | 3 | 4, ...values: string[]): Uint8Array {
  if (version === 4) return concat([new Uint8Array([3]), enc.encode(values.join("\0"))]);
  return concat([new Uint8Array([0]), new Uint8Array(Buffer.from(values.join("\0"), "latin1"))]);
}

/** TXXX body (v2.4 UTF-8). */
export function txxxBody(description: string, value: string): Uint8Array {
  return concat([new Uint8Array([3]), enc.encode(description), new Uint8Array([0]), enc.encode(value)]);
}

/** APIC body: Latin-1 encoding, MIME, type 3, empty description, data. */
export function apicBody(data: Uint8Array, mime = "image/png"): Uint8Array {
  return concat([new Uint8Array([0]), enc.encode(mime), new Uint8Array([0, 3, 0]), data]);
}

// ---------------------------------------------------------------------------------------------
// FLAC metadata blocks.

export function flacBlock(type: number, last: boolean, body: Uint8Array): Uint8Array {
  const n = body.length;
  return concat([new Uint8Array([(last ? 0x80 : 0) | type, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]), body]);
}

export function vorbisCommentBody(vendor: string, entries: string[]): Uint8Array {
  const le = (n: number) => new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]);
  const v = enc.encode(vendor);
  const parts: Uint8Array[] = [le(v.length), v, le(entries.length)];
  for (const e of entries) {
    const b = enc.encode(e);
    parts.push(le(b.length), b);
  }
  return concat(parts);
}

// ---------------------------------------------------------------------------------------------
// python3 mutagen, the second reader. Debian's python3-mutagen installs into /usr/bin/python3,
// which may not be the first python3 on PATH (pyenv), so both are tried.

let mutagenPython: string | null | undefined;

export function findMutagen(): string | null {
  if (mutagenPython !== undefined) return mutagenPython;
  mutagenPython = null;
  for (const py of ["python3", "/usr/bin/python3"]) {
    try {
      const r = Bun.spawnSync([py, "-c", "import mutagen"], { stdout: "ignore", stderr: "ignore" });
      if (r.exitCode === 0) {
        mutagenPython = py;
        break;
      }
    } catch {
      // not installed
    }
  }
  return mutagenPython;
}

const MUTAGEN_SCRIPT = String.raw`
import sys, json, hashlib
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from mutagen.flac import FLAC
out = {}
for p in sys.argv[1:]:
    d = {}
    try:
        if p.endswith(".mp3"):
            t = ID3(p)
            d["version"] = list(t.version)
            fr = {}
            for k, f in t.items():
                if k.startswith("APIC"):
                    fr.setdefault("APIC", []).append({"mime": f.mime, "type": int(f.type), "sha1": hashlib.sha1(f.data).hexdigest()})
                elif k.startswith("UFID"):
                    fr[k] = f.data.decode("latin1")
                elif k.startswith("COMM"):
                    fr.setdefault("COMM", []).append([str(x) for x in f.text])
                elif hasattr(f, "text"):
                    fr[k] = [str(x) for x in f.text]
                else:
                    fr[k] = "<binary>"
            d["frames"] = fr
            info = MP3(p).info
            d["length"] = info.length
            d["sample_rate"] = info.sample_rate
        else:
            f = FLAC(p)
            d["tags"] = [[k.upper(), v] for k, v in (f.tags or [])]
            d["vendor"] = f.tags.vendor if f.tags is not None else None
            d["pictures"] = [{"mime": x.mime, "type": int(x.type), "sha1": hashlib.sha1(x.data).hexdigest()} for x in f.pictures]
            d["blocks"] = [b.code for b in f.metadata_blocks]
            d["total_samples"] = f.info.total_samples
            d["sample_rate"] = f.info.sample_rate
    except Exception as e:
        d["error"] = type(e).__name__ + ": " + str(e)
    out[p] = d
print(json.dumps(out))
`;

export type MutagenResult = Record<string, unknown> & { error?: string };

/** Reads `files` (name → bytes; .mp3 or .flac) with mutagen in one python process. */
export function mutagenRead(dir: string, files: Record<string, Uint8Array>): Record<string, MutagenResult> {
  const py = findMutagen();
  if (!py) throw new Error("mutagen is not installed");
  const paths: string[] = [];
  for (const [name, bytes] of Object.entries(files)) {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    paths.push(p);
  }
  const r = Bun.spawnSync([py, "-c", MUTAGEN_SCRIPT, ...paths], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`mutagen script failed: ${r.stderr.toString()}`);
  const raw = JSON.parse(r.stdout.toString()) as Record<string, MutagenResult>;
  const out: Record<string, MutagenResult> = {};
  for (const [name] of Object.entries(files)) out[name] = raw[path.join(dir, name)];
  return out;
}

export function sha1(b: Uint8Array): string {
  return new Bun.CryptoHasher("sha1").update(b).digest("hex");
}
