// The overlay plan: what a file read through the mount looks like once its tags are edited.
// The virtual file is `header` (synthesised from the merged tags) followed by the original bytes
// [audioOffset, audioEnd), unchanged. Nothing here touches the origin file or knows the catalog.
import { Head, type ReadRange } from "./bytes.ts";
import { OverlayError } from "./errors.ts";
import { readFlac, readVorbisComment, writeFlacHeader } from "./flac.ts";
import { ID3V1_BYTES, ID3V1_ENHANCED_BYTES, isId3v1, parseId3Frames, parseId3Header, readId3Frames, readId3v1, writeId3v24, type Id3Frame } from "./id3.ts";
import { fillIn, mergeTags, OVERLAY_FIELDS, validateOverlayTags, type Edits, type OverlayTags, type TagValues } from "./tags.ts";

export interface OverlayPlan {
  format: "mp3" | "flac";
  /** The synthesised header: the virtual file's first bytes. */
  header: Uint8Array;
  /** First original byte served after the header (the audio start). */
  audioOffset: number;
  /** End (exclusive) of the original bytes served: the file size, or before a dropped ID3v1 trailer. */
  audioEnd: number;
  /** Virtual file size: header.length + audioEnd - audioOffset. */
  size: number;
  /** The tags the header carries (edits merged over the original's). */
  tags: TagValues;
}

/** Formats with an overlay; anything else passes through (planOverlay returns null). */
export function overlayFormat(format: string): "mp3" | "flac" | null {
  const f = format.trim().toLowerCase().replace(/^\./, "");
  return f === "mp3" || f === "flac" ? f : null;
}

/** At most this many ID3v2 tags stacked at the start of an MP3 are skipped. */
const MAX_STACKED_TAGS = 8;

/**
 * Plans the virtual file for an original of `fileSize` bytes read through `readRange`, with the
 * user's `tags` edits. Returns null for formats without an overlay (serve the original as it is).
 * Throws OverlayError (only) for invalid edits, a malformed or truncated header, or a failing or
 * short read; the caller should then serve the original unchanged. Reads only the head of the file
 * (the old tag or metadata blocks; 64 KiB at least) and, for MP3, its last 355 bytes.
 */
export async function planOverlay(format: string, readRange: ReadRange, fileSize: number, tags: OverlayTags): Promise<OverlayPlan | null> {
  const f = overlayFormat(format);
  if (!f) return null;
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) throw new OverlayError("malformed", `invalid file size ${fileSize}`);
  const edits = validateOverlayTags(tags);
  const head = new Head(readRange, fileSize);
  return f === "mp3" ? planMp3(head, edits) : planFlac(head, edits);
}

async function planMp3(head: Head, edits: Edits): Promise<OverlayPlan> {
  const size = head.fileSize;
  let b = head.has(Math.min(size, 10)) ? head.bytes : await head.need(Math.min(size, 10), "the ID3v2 header");
  let original: TagValues = {};
  let kept: Id3Frame[] = [];
  let hasComment = false;
  let audioOffset = 0;
  const h = parseId3Header(b, 0, size);
  if (h) {
    b = head.has(h.total) ? head.bytes : await head.need(h.total, "the ID3v2 tag");
    const read = readId3Frames(parseId3Frames(b.subarray(0, h.total), h));
    original = read.values;
    kept = read.kept;
    hasComment = read.hasComment;
    audioOffset = h.total;
    // Some taggers prepend a new tag and leave the old one behind it: skip those too.
    for (let i = 0; i < MAX_STACKED_TAGS && audioOffset + 10 <= size; i++) {
      b = head.has(audioOffset + 10) ? head.bytes : await head.need(audioOffset + 10, "a second ID3v2 header");
      const next = parseId3Header(b, audioOffset, size, false);
      if (!next) break;
      audioOffset += next.total;
    }
  }

  // An ID3v1 trailer (and an Enhanced "TAG+" block before it) is cut from the virtual file: readers
  // merge ID3v1 into what ID3v2 lacks, so a tag removed by the overlay would come back from it.
  // Its fields fill in what the ID3v2 tag lacks before the edits apply (merge semantics).
  let audioEnd = size;
  let v1Comment = "";
  if (size - ID3V1_BYTES >= audioOffset) {
    const tailLen = Math.min(size - audioOffset, ID3V1_BYTES + ID3V1_ENHANCED_BYTES);
    const tail = head.has(size) ? head.bytes.subarray(size - tailLen, size) : await head.range(size - tailLen, tailLen);
    const at = tailLen - ID3V1_BYTES;
    if (isId3v1(tail, at)) {
      audioEnd = size - ID3V1_BYTES;
      const v1 = readId3v1(tail.subarray(at));
      for (const field of OVERLAY_FIELDS) if (v1.values[field]) fillIn(original, field, v1.values[field]);
      v1Comment = v1.comment;
      const e = at - ID3V1_ENHANCED_BYTES;
      if (e >= 0 && isId3v1(tail, e) && tail[e + 3] === 0x2b) audioEnd -= ID3V1_ENHANCED_BYTES;
    }
  }

  const merged = mergeTags(original, edits);
  const header = writeId3v24(merged, kept, hasComment ? undefined : v1Comment || undefined);
  return { format: "mp3", header, audioOffset, audioEnd, size: header.length + audioEnd - audioOffset, tags: merged };
}

async function planFlac(head: Head, edits: Edits): Promise<OverlayPlan> {
  const read = await readFlac(head);
  const comment = read.blocks.find((b) => b.type === 4);
  const vorbis = comment ? readVorbisComment(comment.body) : null;
  const merged = mergeTags(vorbis?.values ?? {}, edits);
  const header = writeFlacHeader(read, merged, vorbis);
  const size = head.fileSize;
  return { format: "flac", header, audioOffset: read.audioOffset, audioEnd: size, size: header.length + size - read.audioOffset, tags: merged };
}

/** Where a range of the virtual file comes from: header[headerStart, headerEnd) then original bytes. */
export interface PlannedSegments {
  headerStart: number;
  headerEnd: number;
  /** Original file offset of the part after the header (within [audioOffset, audioEnd)). */
  originalOffset: number;
  originalLength: number;
}

/**
 * Splits the virtual range [offset, offset + length), clamped to the virtual size, into its header
 * part and its original part. For callers that read the original asynchronously.
 */
export function plannedSegments(plan: OverlayPlan, offset: number, length: number): PlannedSegments {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new OverlayError("bad-range", `invalid range: offset ${offset}, length ${length}`);
  }
  const h = plan.header.length;
  const end = Math.min(plan.size, offset + length);
  if (offset >= end) return { headerStart: 0, headerEnd: 0, originalOffset: plan.audioOffset, originalLength: 0 };
  const from = Math.max(offset, h);
  return {
    headerStart: Math.min(offset, h),
    headerEnd: Math.min(end, h),
    originalOffset: plan.audioOffset + (from - h),
    originalLength: Math.max(0, end - from),
  };
}

/**
 * Bytes [offset, offset + length) of the virtual file (fewer at its end), served from the header and
 * `readOriginal(offset, length)` (one call at most, only inside [audioOffset, audioEnd)). A short
 * read of the original gives a short result. The result may share memory with the header or the
 * original's buffer: do not modify it.
 */
export function readPlanned(plan: OverlayPlan, offset: number, length: number, readOriginal: (offset: number, length: number) => Uint8Array): Uint8Array {
  const s = plannedSegments(plan, offset, length);
  const headerPart = s.headerEnd - s.headerStart;
  if (s.originalLength === 0) return plan.header.subarray(s.headerStart, s.headerEnd);
  let orig = readOriginal(s.originalOffset, s.originalLength);
  if (orig.length > s.originalLength) orig = orig.subarray(0, s.originalLength);
  if (headerPart === 0) return orig;
  const out = new Uint8Array(headerPart + orig.length);
  out.set(plan.header.subarray(s.headerStart, s.headerEnd));
  out.set(orig, headerPart);
  return out;
}
