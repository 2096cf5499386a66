// A small in-memory FileSystem for the kernel tests: a dir tree, a 3 MiB file of deterministic
// bytes, a symlink, a 100 000-entry directory, a file answered asynchronously, and optionally a
// large file generated on the fly (for dd throughput). Built once per FUSE worker.
import { errno, FOPEN_KEEP_CACHE, type Attr, type DirSink, type FileSystem, type OpenReply, type StatFs, type WorkerInfo } from "../../internal/fuse/index.ts";

export interface MemFsOptions {
  /** Entries in /many (default 100 000). */
  manyCount?: number;
  /** Size of /huge.bin, generated on the fly (default 0 = absent). */
  hugeSize?: number;
  /** Return FOPEN_KEEP_CACHE from open (default false). */
  keepCache?: boolean;
}

export const BIG_SIZE = 3 * 1024 * 1024;
export const HELLO = "hello, fuse\n";

/** Deterministic bytes: xorshift32 from a seed, one byte per step. */
export function deterministicBytes(n: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function manyName(i: number): string {
  return `entry-${String(i).padStart(6, "0")}`;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const MTIME = 1_700_000_000.25;

interface Node {
  attr: Attr;
  parent: number;
  names?: string[];
  children?: Map<string, Node>;
  data?: Uint8Array;
  target?: string;
  /** Generated content: byte i = (i * 131 + (i >>> 20)) & 255, served from a 1 MiB template. */
  generated?: boolean;
  async?: boolean;
  /** Reads block this worker for 30 ms and return "worker N\n": shows which worker answered. */
  whoami?: boolean;
}

class MemFs implements FileSystem {
  private readonly nodes: Node[] = [];
  private readonly template = new Uint8Array(1 << 20);
  private readonly openReply: OpenReply;

  constructor(
    opts: MemFsOptions,
    private readonly worker = 0,
  ) {
    this.openReply = { fh: 0, flags: opts.keepCache ? FOPEN_KEEP_CACHE : 0 };
    for (let i = 0; i < this.template.length; i++) this.template[i] = (i * 131) & 255;
    const root = this.mkDir(0, "");
    this.mkFile(root, "hello.txt", new TextEncoder().encode(HELLO));
    this.mkFile(root, "big.bin", deterministicBytes(BIG_SIZE));
    this.mkSymlink(root, "link", "hello.txt");
    const sub = this.mkDir(root, "sub");
    const nested = this.mkDir(sub, "nested");
    this.mkFile(nested, "deep.txt", new TextEncoder().encode("deep\n"));
    const slow = this.mkFile(root, "async.txt", new TextEncoder().encode("answered later\n"));
    this.nodes[slow - 1].async = true;
    const who = this.mkFile(root, "worker.txt", new TextEncoder().encode(`worker ${worker}\n`));
    this.nodes[who - 1].whoami = true;
    const many = this.mkDir(root, "many");
    const count = opts.manyCount ?? 100_000;
    for (let i = 0; i < count; i++) this.mkFile(many, manyName(i), new Uint8Array(0));
    if (opts.hugeSize) {
      const h = this.mkFile(root, "huge.bin", new Uint8Array(0));
      this.nodes[h - 1].attr.size = opts.hugeSize;
      this.nodes[h - 1].generated = true;
    }
  }

  private add(parent: number, name: string, mode: number, size: number): number {
    const ino = this.nodes.length + 1;
    const node: Node = { attr: { ino, mode, size, nlink: 1, uid: 0, gid: 0, mtime: MTIME }, parent: parent || ino };
    this.nodes.push(node);
    if (parent) {
      const p = this.nodes[parent - 1];
      p.children!.set(name, node);
      p.names!.push(name);
    }
    return ino;
  }

  private mkDir(parent: number, name: string): number {
    const ino = this.add(parent, name, S_IFDIR | 0o755, 4096);
    const n = this.nodes[ino - 1];
    n.children = new Map();
    n.names = [];
    n.attr.nlink = 2;
    return ino;
  }

  private mkFile(parent: number, name: string, data: Uint8Array): number {
    const ino = this.add(parent, name, S_IFREG | 0o644, data.length);
    this.nodes[ino - 1].data = data;
    return ino;
  }

  private mkSymlink(parent: number, name: string, target: string): number {
    const ino = this.add(parent, name, S_IFLNK | 0o777, target.length);
    this.nodes[ino - 1].target = target;
    return ino;
  }

  private node(ino: number): Node | undefined {
    return this.nodes[ino - 1];
  }

  lookup(parent: number, name: string): Attr | number {
    const c = this.node(parent)?.children?.get(name);
    return c ? c.attr : -errno.ENOENT;
  }

  getattr(ino: number): Attr | number {
    return this.node(ino)?.attr ?? -errno.ENOENT;
  }

  open(ino: number): OpenReply | number {
    const n = this.node(ino);
    if (!n) return -errno.ENOENT;
    return n.children ? -errno.EISDIR : this.openReply;
  }

  readdir(ino: number, _fh: number, offset: number, out: DirSink): number {
    const n = this.node(ino);
    if (!n?.names) return -errno.ENOTDIR;
    const names = n.names;
    // Cookies: 1 = after ".", 2 = after "..", k + 3 = after names[k].
    if (offset < 1 && !out.add(".", n.attr, 1)) return 0;
    if (offset < 2 && !out.add("..", this.nodes[n.parent - 1].attr, 2)) return 0;
    for (let i = Math.max(0, offset - 2); i < names.length; i++) {
      if (!out.add(names[i], n.children!.get(names[i])!.attr, i + 3)) break;
    }
    return 0;
  }

  read(ino: number, _fh: number, offset: number, size: number, dst: Uint8Array): number | Promise<Uint8Array> {
    const n = this.node(ino);
    if (!n) return -errno.ENOENT;
    if (n.generated) {
      const end = Math.min(n.attr.size, offset + size);
      let o = 0;
      for (let p = offset; p < end; ) {
        const t = p & (this.template.length - 1);
        const k = Math.min(end - p, this.template.length - t);
        dst.set(this.template.subarray(t, t + k), o);
        o += k;
        p += k;
      }
      return o;
    }
    const data = n.data;
    if (!data) return -errno.EISDIR;
    const end = Math.min(data.length, offset + size);
    if (n.whoami) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30);
    if (n.async) {
      const bytes = data.slice(Math.min(offset, end), end);
      return new Promise((resolve) => setTimeout(() => resolve(bytes), 5));
    }
    if (offset >= end) return 0;
    dst.set(data.subarray(offset, end));
    return end - offset;
  }

  readlink(ino: number): string | number {
    return this.node(ino)?.target ?? -errno.EINVAL;
  }

  statfs(): StatFs {
    return { blocks: 1000, bfree: 0, bavail: 0, files: this.nodes.length, ffree: 0, bsize: 4096, namelen: 255, frsize: 4096 };
  }
}

export function createFileSystem(options: unknown, info?: WorkerInfo): FileSystem {
  return new MemFs((options ?? {}) as MemFsOptions, info?.worker ?? 0);
}
