// A chunk store on S3 that several mount hosts share, behind each host's own local store: a block
// one host fetched from an origin is published here, and the others read it from here instead of
// from the origin (a NAS behind a slow link, a remote box). Layout under the prefix:
//   chunks/aa/bb/<sha256>            the block's bytes, content-addressed like the local store
//   blocks/<sha256 of file key>/<i>  the chunk id of block i of a track (file keys may hold any text)
// Everything here is best effort: a missing, unreadable or corrupt object is a miss (the caller
// goes to the origin), a failed publish is counted, and nothing is ever thrown at the reader.
import type { S3Client } from "bun";
import { scrub, type Secret } from "../config/secret.ts";
import { chunkIdHex } from "../hash/index.ts";
import { s3Client, type S3OriginOptions } from "../origins/s3.ts";

/** Where the store lives: an S3 origin's options without its id and listing page size; prefix defaults to "musicfs-chunks/". */
export type SharedChunkStoreOptions = Omit<S3OriginOptions, "id" | "pageSize">;

export interface SharedStoreStats {
  hits: number;
  misses: number;
  published: number;
  /** Objects that were there but wrong (size or SHA-256): ignored, read from the origin. */
  corrupt: number;
  errors: number;
  lastError?: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
/** Blocks waiting to be published, at most (1 MiB each, in memory). */
const PUBLISH_QUEUE = 32;

export class SharedChunkStore {
  readonly displayName: string;
  // Private: inspecting the store never reaches the client, which holds the key.
  readonly #client: S3Client;
  readonly #secrets: Array<Secret | undefined>;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private publishing = 0;
  private readonly waiting: Array<() => void> = [];
  readonly stats: SharedStoreStats = { hits: 0, misses: 0, published: 0, corrupt: 0, errors: 0 };

  constructor(o: SharedChunkStoreOptions) {
    let prefix = (o.prefix ?? "musicfs-chunks/").replace(/^\/+/, "");
    if (prefix && !prefix.endsWith("/")) prefix += "/";
    this.prefix = prefix;
    this.timeoutMs = o.timeoutMs ?? 30000;
    this.displayName = `s3://${o.bucket}/${prefix}${o.endpoint ? ` (${o.endpoint})` : ""}`;
    const c = o.credentials;
    this.#secrets = [c?.secretAccessKey, c?.sessionToken];
    this.#client = s3Client(o);
  }

  toJSON(): object {
    return { type: "shared-chunk-store", displayName: this.displayName };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `SharedChunkStore(${this.displayName})`;
  }

  private blockKey(fileKey: string, idx: number): string {
    return `${this.prefix}blocks/${chunkIdHex(new TextEncoder().encode(fileKey))}/${idx}`;
  }

  private chunkKey(hex: string): string {
    return `${this.prefix}chunks/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`;
  }

  private within<T>(p: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }

  private noteError(e: unknown): void {
    this.stats.errors++;
    this.stats.lastError = scrub(e instanceof Error ? e.message : String(e), this.#secrets);
  }

  /** Block `idx` of the track with cache key `fileKey` when another host published it and it checks out; null otherwise. */
  async getBlock(fileKey: string, idx: number, want: number): Promise<Uint8Array | null> {
    let hex: string;
    try {
      const map = this.#client.file(this.blockKey(fileKey, idx));
      hex = (await this.within(map.text())).trim();
    } catch (e) {
      if (!isNotFound(e)) this.noteError(e);
      this.stats.misses++;
      return null;
    }
    try {
      if (!HEX64.test(hex)) throw new Error("not a chunk id");
      const data = await this.within(this.#client.file(this.chunkKey(hex)).bytes());
      if (data.length !== want || chunkIdHex(data) !== hex) throw new Error("size or SHA-256 differs");
      this.stats.hits++;
      return data;
    } catch (e) {
      if (isNotFound(e)) this.stats.misses++;
      else this.stats.corrupt++;
      return null;
    }
  }

  /**
   * Publishes block `idx` (its chunk id `hex`, as the local store computed it) for the other
   * hosts: the chunk first, then the block's entry, so an entry never points at nothing. In the
   * background, `maxInFlight` at once; up to PUBLISH_QUEUE more wait (each holds its block in
   * memory), and beyond that a block is skipped: another reader will publish it.
   */
  publish(fileKey: string, idx: number, data: Uint8Array, hex: string, maxInFlight = 8): void {
    const job = () => {
      this.publishing++;
      void this.within(this.#client.write(this.chunkKey(hex), data))
        .then(() => this.within(this.#client.write(this.blockKey(fileKey, idx), hex)))
        .then(
          () => void this.stats.published++,
          (e) => this.noteError(e),
        )
        .finally(() => {
          this.publishing--;
          if (this.publishing < maxInFlight) this.waiting.shift()?.();
        });
    };
    if (this.publishing < maxInFlight) job();
    else if (this.waiting.length < PUBLISH_QUEUE) this.waiting.push(job);
  }

  /** Resolves when no publish is in flight or waiting (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.publishing > 0 || this.waiting.length > 0) await Bun.sleep(5);
  }
}

function isNotFound(e: unknown): boolean {
  const code = String((e as { code?: unknown })?.code ?? "");
  return code === "NoSuchKey" || code === "NotFound" || code === "ENOENT";
}
