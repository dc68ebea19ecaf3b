-- gloss-server on embedded SQLite, schema 3: snapshots.
--
-- The latest snapshot of each corpus: a ready replica file in the client's schema, kept in
-- the data folder's `snapshots/` (0600) under `file`, built at `position` of `epoch`. One
-- row per corpus: a new snapshot replaces the row (and its file) in one transaction.
-- A snapshot of an epoch that is not the corpus's current one is never served, and
-- renewing epochs deletes them.
CREATE TABLE snapshots (
    corpus_id INTEGER PRIMARY KEY REFERENCES corpora (id) ON DELETE CASCADE,
    epoch TEXT NOT NULL,
    position INTEGER NOT NULL CHECK (position >= 0),
    changes INTEGER NOT NULL CHECK (changes >= 0),
    size INTEGER NOT NULL CHECK (size > 0),
    sha256 TEXT NOT NULL,
    file TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
