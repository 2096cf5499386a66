// A writable in-memory FileSystem for the kernel test of the routed write operations (mkdir,
// create/write, setattr, rename, unlink, rmdir, symlink). State lives in the worker, so it is
// mounted with one worker: a real writable FS keeps shared state outside the workers.
import { errno, type Attr, type DirSink, type FileSystem, type OpenReply, type RequestContext, type SetAttrRequest } from "../../internal/fuse/index.ts";
import { FATTR_MODE, FATTR_SIZE } from "../../internal/fuse/proto.ts";

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const RENAME_NOREPLACE = 1;

interface Node {
  attr: Attr;
  parent: number;
  children?: Map<string, number>;
  data?: Uint8Array;
  target?: string;
}

class RwFs implements FileSystem {
  private readonly nodes = new Map<number, Node>();
  private nextIno = 2;
  private readonly open0: OpenReply = { fh: 0 };

  constructor() {
    this.nodes.set(1, { attr: this.newAttr(1, S_IFDIR | 0o755, 0), parent: 1, children: new Map() });
  }

  private newAttr(ino: number, mode: number, uid: number): Attr {
    return { ino, mode, size: 0, nlink: 1, uid, gid: 0, mtime: Date.now() / 1000 };
  }

  private dir(ino: number): Node | number {
    const n = this.nodes.get(ino);
    if (!n) return -errno.ENOENT;
    return n.children ? n : -errno.ENOTDIR;
  }

  private make(parent: number, name: string, mode: number, ctx: RequestContext, init: Partial<Node>): Attr | number {
    const p = this.dir(parent);
    if (typeof p === "number") return p;
    if (p.children!.has(name)) return -errno.EEXIST;
    const ino = this.nextIno++;
    this.nodes.set(ino, { attr: this.newAttr(ino, mode, ctx.uid), parent, ...init });
    p.children!.set(name, ino);
    return this.nodes.get(ino)!.attr;
  }

  lookup(parent: number, name: string): Attr | number {
    const p = this.dir(parent);
    if (typeof p === "number") return p;
    const ino = p.children!.get(name);
    return ino === undefined ? -errno.ENOENT : this.nodes.get(ino)!.attr;
  }

  getattr(ino: number): Attr | number {
    return this.nodes.get(ino)?.attr ?? -errno.ENOENT;
  }

  readdir(ino: number, _fh: number, offset: number, out: DirSink): number {
    const d = this.dir(ino);
    if (typeof d === "number") return d;
    const names = [...d.children!.keys()];
    for (let i = offset; i < names.length; i++) {
      if (!out.add(names[i], this.nodes.get(d.children!.get(names[i])!)!.attr, i + 1)) break;
    }
    return 0;
  }

  open(): OpenReply {
    return this.open0;
  }

  read(ino: number, _fh: number, offset: number, size: number, dst: Uint8Array): number {
    const n = this.nodes.get(ino);
    if (!n?.data) return n ? -errno.EISDIR : -errno.ENOENT;
    const end = Math.min(n.attr.size, offset + size);
    if (offset >= end) return 0;
    dst.set(n.data.subarray(offset, end));
    return end - offset;
  }

  readlink(ino: number): string | number {
    return this.nodes.get(ino)?.target ?? -errno.EINVAL;
  }

  mkdir(parent: number, name: string, mode: number, ctx: RequestContext): Attr | number {
    const a = this.make(parent, name, S_IFDIR | (mode & 0o7777), ctx, { children: new Map() });
    if (typeof a !== "number") a.nlink = 2;
    return a;
  }

  symlink(parent: number, name: string, target: string, ctx: RequestContext): Attr | number {
    const a = this.make(parent, name, S_IFLNK | 0o777, ctx, { target });
    if (typeof a !== "number") a.size = Buffer.byteLength(target);
    return a;
  }

  create(parent: number, name: string, mode: number, _flags: number, ctx: RequestContext): { attr: Attr; open: OpenReply } | number {
    const a = this.make(parent, name, S_IFREG | (mode & 0o7777), ctx, { data: new Uint8Array(0) });
    return typeof a === "number" ? a : { attr: a, open: this.open0 };
  }

  write(ino: number, _fh: number, offset: number, data: Uint8Array): number {
    const n = this.nodes.get(ino);
    if (!n?.data) return -errno.EISDIR;
    const end = offset + data.length;
    if (end > n.data.length) {
      const grown = new Uint8Array(Math.max(end, n.data.length * 2));
      grown.set(n.data.subarray(0, n.attr.size));
      n.data = grown;
    }
    n.data.set(data, offset);
    n.attr.size = Math.max(n.attr.size, end);
    n.attr.mtime = Date.now() / 1000;
    return data.length;
  }

  setattr(ino: number, req: SetAttrRequest): Attr | number {
    const n = this.nodes.get(ino);
    if (!n) return -errno.ENOENT;
    if (req.valid & FATTR_SIZE) {
      if (!n.data) return -errno.EISDIR;
      if (req.size > n.data.length) {
        const grown = new Uint8Array(req.size);
        grown.set(n.data.subarray(0, n.attr.size));
        n.data = grown;
      } else n.data.fill(0, req.size);
      n.attr.size = req.size;
    }
    if (req.valid & FATTR_MODE) n.attr.mode = (n.attr.mode & ~0o7777) | (req.mode & 0o7777);
    return n.attr;
  }

  unlink(parent: number, name: string): number {
    const p = this.dir(parent);
    if (typeof p === "number") return p;
    const ino = p.children!.get(name);
    if (ino === undefined) return -errno.ENOENT;
    if (this.nodes.get(ino)!.children) return -errno.EISDIR;
    p.children!.delete(name);
    return 0;
  }

  rmdir(parent: number, name: string): number {
    const p = this.dir(parent);
    if (typeof p === "number") return p;
    const ino = p.children!.get(name);
    if (ino === undefined) return -errno.ENOENT;
    const d = this.nodes.get(ino)!;
    if (!d.children) return -errno.ENOTDIR;
    if (d.children.size > 0) return -errno.ENOTEMPTY;
    p.children!.delete(name);
    this.nodes.delete(ino);
    return 0;
  }

  rename(parent: number, name: string, newParent: number, newName: string, flags: number): number {
    const p = this.dir(parent);
    const np = this.dir(newParent);
    if (typeof p === "number") return p;
    if (typeof np === "number") return np;
    const ino = p.children!.get(name);
    if (ino === undefined) return -errno.ENOENT;
    if (flags & RENAME_NOREPLACE && np.children!.has(newName)) return -errno.EEXIST;
    if (flags & ~RENAME_NOREPLACE) return -errno.EINVAL;
    p.children!.delete(name);
    np.children!.set(newName, ino);
    this.nodes.get(ino)!.parent = newParent;
    return 0;
  }
}

export function createFileSystem(): FileSystem {
  return new RwFs();
}
