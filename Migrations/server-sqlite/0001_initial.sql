-- gloss-server on embedded SQLite, schema 1.
-- Every key leads with the corpus, so each corpus's data could live apart.

-- A corpus: one shared set of articles and annotations. `last_position` numbers the
-- corpus's stored changes (the pull cursor); it is taken inside the pushing transaction,
-- and SQLite has a single writer, so positions commit in order and no pull skips one.
CREATE TABLE corpora (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_position INTEGER NOT NULL DEFAULT 0
);

-- Bearer tokens: only the SHA-256 of each is kept.
CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    corpus_id INTEGER NOT NULL REFERENCES corpora (id) ON DELETE CASCADE,
    user TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- Each replica that pushed to a corpus: whose it is, and the highest seq stored.
CREATE TABLE replicas (
    corpus_id INTEGER NOT NULL REFERENCES corpora (id) ON DELETE CASCADE,
    replica TEXT NOT NULL,
    user TEXT NOT NULL,
    max_seq INTEGER NOT NULL,
    PRIMARY KEY (corpus_id, replica)
) WITHOUT ROWID;

-- Every stored change, once. `wire` is the change's canonical JSON as served to pulls
-- (with `author`, the pushing user from the token), so a pull page is a concatenation.
CREATE TABLE changes (
    corpus_id INTEGER NOT NULL REFERENCES corpora (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    replica TEXT NOT NULL,
    seq INTEGER NOT NULL CHECK (seq > 0),
    kind TEXT NOT NULL,
    entity TEXT NOT NULL,
    wire TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (corpus_id, position),
    UNIQUE (corpus_id, replica, seq)
);

CREATE TRIGGER changes_are_append_only_update BEFORE UPDATE ON changes
BEGIN
    SELECT RAISE(ABORT, 'stored changes are never updated');
END;

-- Each entity's frontier, with the clocks the merge compares.
CREATE TABLE frontier (
    corpus_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    entity TEXT NOT NULL,
    replica TEXT NOT NULL,
    seq INTEGER NOT NULL,
    clock TEXT NOT NULL,
    PRIMARY KEY (corpus_id, kind, entity, replica, seq)
) WITHOUT ROWID;
