// Catalog schema as an ordered list of migrations. `schema_version` holds the number applied;
// opening a catalog applies the missing ones in one transaction. Never edit a shipped migration:
// append a new one.

/** bm25 column weights, in FTS column order (title, artist, album, album_artist, genre, composer). */
export const BM25_WEIGHTS = [6, 10, 5, 4, 2, 2] as const;
export const FTS_COLUMNS = ["title", "artist", "album", "album_artist", "genre", "composer"] as const;
export const TRIGRAM_COLUMNS = [...FTS_COLUMNS, "path"] as const;

const ftsCols = FTS_COLUMNS.join(", ");
const triCols = TRIGRAM_COLUMNS.join(", ");
const newCols = (cols: readonly string[]) => cols.map((c) => `new.${c}`).join(", ");
const oldCols = (cols: readonly string[]) => cols.map((c) => `old.${c}`).join(", ");

/** Triggers keeping both FTS tables in step with `tracks` (bulk loads drop them and rebuild). */
export const TRIGGERS = `
  CREATE TRIGGER tracks_ai AFTER INSERT ON tracks BEGIN
    INSERT INTO tracks_fts(rowid, ${ftsCols}) VALUES (new.id, ${newCols(FTS_COLUMNS)});
    INSERT INTO tracks_tri(rowid, ${triCols}) VALUES (new.id, ${newCols(TRIGRAM_COLUMNS)});
  END;
  CREATE TRIGGER tracks_ad AFTER DELETE ON tracks BEGIN
    INSERT INTO tracks_fts(tracks_fts, rowid, ${ftsCols}) VALUES ('delete', old.id, ${oldCols(FTS_COLUMNS)});
    INSERT INTO tracks_tri(tracks_tri, rowid, ${triCols}) VALUES ('delete', old.id, ${oldCols(TRIGRAM_COLUMNS)});
  END;
  CREATE TRIGGER tracks_au AFTER UPDATE OF ${triCols} ON tracks BEGIN
    INSERT INTO tracks_fts(tracks_fts, rowid, ${ftsCols}) VALUES ('delete', old.id, ${oldCols(FTS_COLUMNS)});
    INSERT INTO tracks_tri(tracks_tri, rowid, ${triCols}) VALUES ('delete', old.id, ${oldCols(TRIGRAM_COLUMNS)});
    INSERT INTO tracks_fts(rowid, ${ftsCols}) VALUES (new.id, ${newCols(FTS_COLUMNS)});
    INSERT INTO tracks_tri(rowid, ${triCols}) VALUES (new.id, ${newCols(TRIGRAM_COLUMNS)});
  END;
`;
export const DROP_TRIGGERS = "DROP TRIGGER tracks_ai; DROP TRIGGER tracks_ad; DROP TRIGGER tracks_au;";

export const MIGRATIONS: readonly string[] = [
  // 1: tracks, word index (FTS5), substring index (trigram), triggers keeping both in sync.
  `
  CREATE TABLE tracks (
    id                  INTEGER PRIMARY KEY,
    origin              TEXT    NOT NULL DEFAULT 'local',
    path                TEXT    NOT NULL,
    size                INTEGER NOT NULL,
    mtime_ms            INTEGER NOT NULL,
    fingerprint         TEXT,
    format              TEXT    NOT NULL,
    duration_ms         INTEGER,
    bitrate             INTEGER,
    sample_rate         INTEGER,
    title               TEXT,
    artist              TEXT,
    album               TEXT,
    album_artist        TEXT,
    genre               TEXT,
    composer            TEXT,
    year                INTEGER,
    track_no            INTEGER,
    disc_no             INTEGER,
    mb_recording_id     TEXT,
    mb_album_id         TEXT,
    mb_artist_id        TEXT,
    mb_album_artist_id  TEXT,
    mb_release_group_id TEXT,
    has_cover           INTEGER NOT NULL DEFAULT 0,
    parse_error         TEXT,
    added_at            INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (origin, path)
  );
  -- Few indexes on purpose: each costs every insert. Text lookups go through FTS; the
  -- UNIQUE index serves path lookups and per-root range scans.
  CREATE INDEX idx_tracks_fingerprint ON tracks(fingerprint);
  -- Exactly the "library order" of search results (untagged last), so a sorted page of the whole
  -- catalog is an index walk, not a sort.
  CREATE INDEX idx_tracks_library ON tracks(artist IS NULL, artist COLLATE NOCASE, album COLLATE NOCASE, disc_no, track_no);
  CREATE INDEX idx_tracks_year ON tracks(year);
  CREATE INDEX idx_tracks_added ON tracks(added_at);

  -- Words: case- and diacritics-insensitive ("bjork" finds "Björk"); prefix indexes keep
  -- 2- and 3-character prefix queries (beat*) cheap.
  CREATE VIRTUAL TABLE tracks_fts USING fts5(
    ${ftsCols},
    content = 'tracks', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
  );
  INSERT INTO tracks_fts(tracks_fts, rank) VALUES ('rank', 'bm25(${BM25_WEIGHTS.join(", ")})');
  -- Substrings inside words ("etalli" finds "Metallica"), also in paths.
  CREATE VIRTUAL TABLE tracks_tri USING fts5(
    ${triCols},
    content = 'tracks', content_rowid = 'id',
    tokenize = 'trigram remove_diacritics 1'
  );
  CREATE VIRTUAL TABLE tracks_vocab USING fts5vocab(tracks_fts, row);

  ${TRIGGERS}
  `,
  // 2: the mount's access log (opens of tracks) and play counts derived from it.
  `
  CREATE TABLE access_log (
    at       INTEGER NOT NULL,
    track_id INTEGER NOT NULL,
    event    TEXT    NOT NULL
  );
  CREATE INDEX idx_access_log_at ON access_log(at);
  CREATE TABLE plays (
    track_id INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
    count    INTEGER NOT NULL,
    last_at  INTEGER NOT NULL
  );
  CREATE INDEX idx_plays_count ON plays(count);
  CREATE INDEX idx_plays_last ON plays(last_at);
  `,
  // 3: a generation number that every change of a track bumps, so a reader (the mount) can tell
  // in O(1) whether the catalog moved, instead of aggregating over every row.
  `
  CREATE TABLE catalog_generation (id INTEGER PRIMARY KEY CHECK (id = 1), gen INTEGER NOT NULL);
  INSERT INTO catalog_generation (id, gen) VALUES (1, 0);
  CREATE TRIGGER tracks_gen_ai AFTER INSERT ON tracks BEGIN UPDATE catalog_generation SET gen = gen + 1 WHERE id = 1; END;
  CREATE TRIGGER tracks_gen_ad AFTER DELETE ON tracks BEGIN UPDATE catalog_generation SET gen = gen + 1 WHERE id = 1; END;
  CREATE TRIGGER tracks_gen_au AFTER UPDATE ON tracks BEGIN UPDATE catalog_generation SET gen = gen + 1 WHERE id = 1; END;
  `,
  // 4: the metadata overlay (FR-5.3): a user's tag edits per track, never written to the file.
  // tracks' tag columns hold the effective tags (file's, with the edits over them) so search and
  // the tree follow edits; `original` keeps what the scan read, for ClearOverlay and rescans.
  // `version` grows with every edit of the row: the mount's cached header is keyed by it.
  `
  CREATE TABLE overlays (
    track_id   INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
    edits      TEXT    NOT NULL,
    original   TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  `,
  // 5: learned play sequences (prefetch) look up a track's opens; without this every open of a
  // track would scan the whole access log.
  `
  CREATE INDEX idx_access_log_track ON access_log(track_id);
  `,
  // 6: reads in the access log: one 'read' row per track per report (reads counted in the FUSE
  // workers, off the read path), with the bytes asked for.
  `
  ALTER TABLE access_log ADD COLUMN bytes INTEGER;
  `,
];
