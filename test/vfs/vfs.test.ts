import { describe, expect, test } from "bun:test";
import { byteLength, compileTemplate, FILE_INO_BASE, renderPath, ROOT_INO, sanitizeName, TemplateError, VfsTree, type VfsTrack } from "../../internal/vfs/index.ts";

function track(id: number, t: Partial<VfsTrack> = {}): VfsTrack {
  return { id, artist: "Metallica", album: "72 Seasons", title: `Song ${id}`, year: 2023, trackNo: id, format: "flac", size: 1000 + id, mtimeMs: 1_700_000_000_000 + id, ...t };
}

describe("path templates", () => {
  test("the default template renders the predecessor's example", () => {
    const tpl = compileTemplate("$artist/$album ($year) [$format_upper]/$track - $title.$format");
    expect(renderPath(tpl, track(1, { title: "72 Seasons" }))).toEqual(["Metallica", "72 Seasons (2023) [FLAC]", "01 - 72 Seasons.flac"]);
  });

  test("fallbacks for missing tags", () => {
    const tpl = compileTemplate("$artist/$album ($year) [$format_upper]/$track - $title.$format");
    expect(renderPath(tpl, { format: "mp3", artist: "Artist", title: "Track", trackNo: 5 })).toEqual(["Artist", "Unknown Album (Unknown) [MP3]", "05 - Track.mp3"]);
    expect(renderPath(compileTemplate("$genre/$disc/$title"), { format: "mp3" })).toEqual(["Unknown", "1", "Unknown Track"]);
  });

  test("unknown variables and empty segments are errors with a position", () => {
    expect(() => compileTemplate("$artist/$albun/$title")).toThrow(TemplateError);
    expect(() => compileTemplate("$artist/$albun/$title")).toThrow(/position 8/);
    expect(() => compileTemplate("$artist//$title")).toThrow(/empty segment/);
    expect(() => compileTemplate("")).toThrow(/empty/);
  });

  test("tag values cannot add path segments", () => {
    const tpl = compileTemplate("$artist/$title.$format");
    expect(renderPath(tpl, { artist: "AC/DC", title: "../../etc/passwd", format: "mp3" })).toEqual(["AC_DC", ".._.._etc_passwd.mp3"]);
  });
});

describe("names", () => {
  test("forbidden characters, control characters and NUL become _; ends are trimmed", () => {
    expect(sanitizeName('  a/b\\c:d*e?f"g<h>i|j\u0000k\u0007l  ')).toBe("a_b_c_d_e_f_g_h_i_j_k_l");
    expect(sanitizeName("..")).toBe("__");
    expect(sanitizeName("   ")).toBe("_");
  });

  test("names over 255 bytes are shortened with a stable, distinct suffix and keep the extension", () => {
    const a = "ä".repeat(200) + "A.flac";
    const b = "ä".repeat(200) + "B.flac";
    const sa = sanitizeName(a);
    expect(byteLength(sa)).toBeLessThanOrEqual(255);
    expect(sa.endsWith(".flac")).toBe(true);
    expect(sanitizeName(a)).toBe(sa);
    expect(sanitizeName(b)).not.toBe(sa);
  });
});

describe("VfsTree", () => {
  test("builds artist/album/track folders with stable inodes", () => {
    const tracks = [track(1), track(2), track(3, { artist: "Björk", album: "Homogenic", year: 1997 })];
    const tree = VfsTree.build(tracks);
    const root = tree.node(ROOT_INO)!;
    expect(root.kind === "dir" && root.names).toEqual(["Björk", "Metallica"]);
    const f = tree.resolve("/Metallica/72 Seasons (2023) [FLAC]/02 - Song 2.flac");
    expect(f?.kind).toBe("file");
    expect(f?.ino).toBe(FILE_INO_BASE + 2);
    // Rebuilt (a remount): the same inodes for the same paths, files and folders.
    const again = VfsTree.build([...tracks].reverse());
    expect(again.resolve("/Metallica/72 Seasons (2023) [FLAC]")?.ino).toBe(tree.resolve("/Metallica/72 Seasons (2023) [FLAC]")?.ino);
    expect(again.pathOf(FILE_INO_BASE + 3)).toBe("/Björk/Homogenic (1997) [FLAC]/03 - Song 3.flac");
  });

  test("collisions get a stable (2) suffix ordered by catalog id, never last-writer-wins", () => {
    const a = track(10, { title: "Intro", trackNo: 1 });
    const b = track(7, { title: "Intro", trackNo: 1 });
    const c = track(12, { title: "Intro", trackNo: 1 });
    const tree = VfsTree.build([a, b, c]);
    const dir = tree.resolve("/Metallica/72 Seasons (2023) [FLAC]");
    expect(dir?.kind === "dir" && dir.names).toEqual(["01 - Intro (2).flac", "01 - Intro (3).flac", "01 - Intro.flac"]);
    expect(tree.resolve("/Metallica/72 Seasons (2023) [FLAC]/01 - Intro.flac")?.ino).toBe(FILE_INO_BASE + 7);
    expect(tree.resolve("/Metallica/72 Seasons (2023) [FLAC]/01 - Intro (2).flac")?.ino).toBe(FILE_INO_BASE + 10);
    expect(tree.size).toBe(1 + 2 + 3);
  });

  test("a directory with 100 000 entries is built and listed in sorted order", () => {
    const tracks: VfsTrack[] = [];
    for (let i = 1; i <= 100_000; i++) tracks.push({ id: i, artist: "Various", title: `T${i}`, format: "mp3", size: 1, mtimeMs: 0 });
    const tree = VfsTree.build(tracks, "$artist/$title.$format");
    const dir = tree.resolve("/Various");
    expect(dir?.kind).toBe("dir");
    if (dir?.kind !== "dir") return;
    expect(dir.names.length).toBe(100_000);
    expect(new Set(dir.names).size).toBe(100_000);
    for (let i = 1; i < 1000; i++) expect(dir.names[i - 1] < dir.names[i]).toBe(true);
  });
});
