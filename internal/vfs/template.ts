// Path templates: `$artist/$album ($year) [$format_upper]/$track - $title.$format` → path segments.
// Grammar: segments separated by "/", each a mix of literal text and $variables. Variables and
// fallbacks follow the predecessor's resolver (requirements §c).
import { sanitizeName } from "./names.ts";

export const DEFAULT_TEMPLATE = "$artist/$album ($year) [$format_upper]/$track - $title.$format";

/** The tag fields a template can use. */
export interface TemplateTrack {
  artist?: string | null;
  albumArtist?: string | null;
  album?: string | null;
  title?: string | null;
  year?: number | null;
  genre?: string | null;
  trackNo?: number | null;
  discNo?: number | null;
  /** File extension, lowercase, without the dot. */
  format: string;
}

type Resolver = (t: TemplateTrack) => string;

const text = (v: string | null | undefined, fallback: string) => (v && v.trim() ? v : fallback);

const VARIABLES: Record<string, Resolver> = {
  artist: (t) => text(t.artist, "Unknown Artist"),
  albumartist: (t) => text(t.albumArtist, text(t.artist, "Unknown Artist")),
  album: (t) => text(t.album, "Unknown Album"),
  title: (t) => text(t.title, "Unknown Track"),
  track: (t) => String(t.trackNo && t.trackNo > 0 ? t.trackNo : 0).padStart(2, "0"),
  disc: (t) => String(t.discNo && t.discNo > 0 ? t.discNo : 1),
  year: (t) => (t.year && t.year > 0 ? String(t.year) : "Unknown"),
  genre: (t) => text(t.genre, "Unknown"),
  format: (t) => t.format.toLowerCase(),
  format_upper: (t) => t.format.toUpperCase(),
};

export const TEMPLATE_VARIABLES = Object.keys(VARIABLES);

type Part = string | Resolver;

export class TemplateError extends Error {
  override name = "TemplateError";
}

export interface CompiledTemplate {
  source: string;
  segments: Part[][];
}

/** Parses a template once; unknown variables and empty segments are errors that name the position. */
export function compileTemplate(source: string): CompiledTemplate {
  if (!source.trim()) throw new TemplateError("path template is empty");
  if (source.startsWith("/") || source.endsWith("/")) throw new TemplateError(`path template must not start or end with "/": ${source}`);
  const segments: Part[][] = [];
  let offset = 0;
  for (const raw of source.split("/")) {
    if (!raw) throw new TemplateError(`path template has an empty segment at position ${offset}: ${source}`);
    const parts: Part[] = [];
    // Longest identifiers first, so $format_upper is not read as $format + "_upper".
    const re = /\$([a-z_]+)/g;
    let last = 0;
    for (let m = re.exec(raw); m; m = re.exec(raw)) {
      let name = m[1];
      while (name && !VARIABLES[name]) name = name.slice(0, -1);
      if (!name) throw new TemplateError(`unknown variable $${m[1]} at position ${offset + m.index} (known: ${TEMPLATE_VARIABLES.map((v) => "$" + v).join(" ")})`);
      if (m.index > last) parts.push(raw.slice(last, m.index));
      parts.push(VARIABLES[name]);
      last = m.index + 1 + name.length;
      re.lastIndex = last;
    }
    if (last < raw.length) parts.push(raw.slice(last));
    segments.push(parts);
    offset += raw.length + 1;
  }
  return { source, segments };
}

/** Renders a track's path as sanitised segments (each a valid file name). */
export function renderPath(tpl: CompiledTemplate, track: TemplateTrack): string[] {
  return tpl.segments.map((parts) => sanitizeName(parts.map((p) => (typeof p === "string" ? p : sanitizeName(p(track)))).join("")));
}
