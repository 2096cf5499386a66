// Finding audio files under a root. Symlinks are not followed (no loops, no escaping the root).
import * as fs from "node:fs";
import * as path from "node:path";

export const AUDIO_EXTENSIONS = new Set(["flac", "mp3", "ogg", "oga", "opus", "wav", "m4a", "aac", "aif", "aiff", "wma", "wv", "ape", "mpc"]);

export interface FoundFile {
  path: string;
  format: string;
  size: number;
  mtimeMs: number;
}

export function audioFormat(name: string): string | null {
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return null;
  const ext = name.slice(dot + 1).toLowerCase();
  return AUDIO_EXTENSIONS.has(ext) ? ext : null;
}

/**
 * Every audio file under `root` (absolute). Throws if `root` itself cannot be read; unreadable
 * subfolders are reported through `onError` and skipped.
 */
export function walkAudio(root: string, onError: (p: string, e: Error) => void): FoundFile[] {
  const out: FoundFile[] = [];
  const st = fs.statSync(root);
  if (st.isFile()) {
    const format = audioFormat(root);
    if (format) out.push({ path: root, format, size: st.size, mtimeMs: Math.floor(st.mtimeMs) });
    return out;
  }
  fs.readdirSync(root); // a missing or unreadable root throws here, before anything is changed
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      onError(dir, e as Error);
      continue;
    }
    for (const ent of entries) {
      const full = path.join(dir, ent.name);
      if (ent.isDirectory()) stack.push(full);
      else if (ent.isFile()) {
        const format = audioFormat(ent.name);
        if (!format) continue;
        try {
          const s = fs.statSync(full);
          out.push({ path: full, format, size: s.size, mtimeMs: Math.floor(s.mtimeMs) });
        } catch (e) {
          onError(full, e as Error);
        }
      }
    }
  }
  return out;
}
