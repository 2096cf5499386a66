// Ogg Opus writer (RFC 7845): an OpusHead page, OpusTags (Vorbis comments, the cover as a
// base64 METADATA_BLOCK_PICTURE), then audio pages. Each audio packet is a valid Opus packet
// header (TOC: CELT fullband 20 ms, one frame) followed by the caller's bytes, so the stream
// has the right structure and granule positions (48 kHz) though it decodes to noise.
import { picture, vorbisComment } from "./flac.ts";
import { oggStream, type OggPacket } from "./ogg.ts";
import { concat, encoder, type TrackTags } from "./tags.ts";

export const OPUS_RATE = 48000;
const PRE_SKIP = 312;
const SAMPLES_PER_PACKET = 960; // 20 ms at 48 kHz
const PAYLOAD_PER_PACKET = 159; // + 1 TOC byte = 160 bytes = 64 kbit/s at 20 ms
const TOC = (31 << 3) | 0; // config 31 (CELT FB 20 ms), mono, code 0 (one frame)
const SERIAL = 0x6d667321; // any fixed value: "mfs!"

function opusHead(inputRate: number): Uint8Array {
  const b = new Uint8Array(19);
  const v = new DataView(b.buffer);
  b.set(encoder.encode("OpusHead"));
  b[8] = 1; // version
  b[9] = 1; // channels
  v.setUint16(10, PRE_SKIP, true);
  v.setUint32(12, inputRate, true);
  v.setInt16(16, 0, true); // output gain
  b[18] = 0; // channel mapping family 0: mono/stereo
  return b;
}

function opusTags(tags: TrackTags): Uint8Array {
  const extra = tags.cover ? [`METADATA_BLOCK_PICTURE=${Buffer.from(picture(tags.cover)).toString("base64")}`] : [];
  return concat([encoder.encode("OpusTags"), vorbisComment(tags, extra)]);
}

export function encodeOpus(tags: TrackTags, audio: Uint8Array): Uint8Array {
  const packets: OggPacket[] = [
    { data: opusHead(44100), granule: 0 },
    { data: opusTags(tags), granule: 0 },
  ];
  const count = Math.max(1, Math.ceil(audio.length / PAYLOAD_PER_PACKET));
  for (let i = 0; i < count; i++) {
    const data = new Uint8Array(1 + PAYLOAD_PER_PACKET);
    data[0] = TOC;
    data.set(audio.subarray(i * PAYLOAD_PER_PACKET, (i + 1) * PAYLOAD_PER_PACKET), 1);
    packets.push({ data, granule: PRE_SKIP + (i + 1) * SAMPLES_PER_PACKET });
  }
  // Header packets each end their page (RFC 7845 §3); audio starts on a fresh page.
  return oggStream(packets, SERIAL, new Set([1, 2]));
}
