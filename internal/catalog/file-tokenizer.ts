// A random-access tokenizer for music-metadata that reads with synchronous preads through a
// 64 KiB block cache. Why not music-metadata's own parseFile: its file tokenizer awaits one
// `FileHandle.read` per token (dozens per file, each a thread-pool round trip); measured here
// 420 µs per MP3/FLAC against 180 µs with this class. Tag parsing runs in worker threads
// (tag-pool.ts), where blocking reads of a few KiB from the page cache cost less than the hops.
// strtok3 is music-metadata's tokenizer library: subclassing its AbstractTokenizer keeps its
// argument checks, and its EndOfStreamError is the class the parsers test for with instanceof.
import * as fs from "node:fs";
import { AbstractTokenizer, EndOfStreamError, type IRandomAccessFileInfo, type IReadChunkOptions } from "strtok3";

const BLOCK = 64 * 1024;
/** Blocks of tokenizers that were closed, reused so each file does not allocate (and zero) 64 KiB. */
const spare: Uint8Array[] = [];

export class SyncFileTokenizer extends AbstractTokenizer {
  fileInfo: IRandomAccessFileInfo;
  private block: Uint8Array | null = null;
  private blockStart = 0;
  private blockLen = 0;

  /** `fd` stays owned by the caller (opened before, closed after the parse). */
  constructor(
    private readonly fd: number,
    size: number,
    path: string,
  ) {
    super();
    this.fileInfo = { size, path };
  }

  supportsRandomAccess(): boolean {
    return true;
  }

  setPosition(position: number): void {
    this.validateLength(position, "position");
    this.position = position;
  }

  async readBuffer(target: Uint8Array, options?: IReadChunkOptions): Promise<number> {
    const o = this.normalizeOptions(target, options);
    const n = this.copy(target, o.length, o.position);
    this.position = o.position + n;
    if (!o.mayBeLess && n < o.length) throw new EndOfStreamError();
    return n;
  }

  async peekBuffer(target: Uint8Array, options?: IReadChunkOptions): Promise<number> {
    const o = this.normalizeOptions(target, options);
    const n = this.copy(target, o.length, o.position);
    if (!o.mayBeLess && n < o.length) throw new EndOfStreamError();
    return n;
  }

  protected override async closeOnce(): Promise<void> {
    if (this.block && spare.length < 4) spare.push(this.block);
    this.block = null;
    await super.closeOnce();
  }

  /** Copies [position, position + length) into target; fewer bytes only at end of file. */
  private copy(target: Uint8Array, length: number, position: number): number {
    let got = 0;
    while (got < length) {
      const at = position + got;
      const inBlock = at - this.blockStart;
      if (this.block && inBlock >= 0 && inBlock < this.blockLen) {
        const n = Math.min(length - got, this.blockLen - inBlock);
        target.set(this.block.subarray(inBlock, inBlock + n), got);
        got += n;
        continue;
      }
      if (length - got >= BLOCK) {
        // Large reads (cover art, a skipped frame) go straight into the caller's buffer.
        const n = fs.readSync(this.fd, target, got, length - got, at);
        if (n === 0) break;
        got += n;
        continue;
      }
      this.block ??= spare.pop() ?? new Uint8Array(BLOCK);
      this.blockStart = at;
      this.blockLen = fs.readSync(this.fd, this.block, 0, BLOCK, at);
      if (this.blockLen === 0) break;
    }
    return got;
  }
}
