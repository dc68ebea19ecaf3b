-- Gloss client replica, schema 1.
-- `changes` is the source of truth: an append-only log. Every other table is derived
-- from it (and `gloss doctor` rebuilds them from it to check).

-- This replica's identity and hybrid-clock state (exactly one row).
CREATE TABLE replica (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    id TEXT NOT NULL,                    -- ReplicaID, 26 Crockford base32 characters
    name TEXT,                           -- written as `author` on new annotations
    created_at TEXT NOT NULL,            -- ISO 8601
    hlc_wall INTEGER NOT NULL DEFAULT 0, -- greatest hybrid timestamp made or seen
    hlc_counter INTEGER NOT NULL DEFAULT 0
);

-- The change log: one row per change, in order of arrival on this replica.
CREATE TABLE changes (
    position INTEGER PRIMARY KEY,        -- local arrival order
    replica TEXT NOT NULL,               -- the dot: (replica, seq)
    seq INTEGER NOT NULL CHECK (seq > 0),
    kind TEXT NOT NULL CHECK (kind IN ('article', 'annotation')),
    entity TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('put', 'delete')),
    clock TEXT NOT NULL,                 -- canonical JSON {replica: seq}
    hlc_wall INTEGER NOT NULL,
    hlc_counter INTEGER NOT NULL,
    replaces TEXT NOT NULL,              -- JSON array of "REPLICA:SEQ"
    content TEXT,                        -- canonical JSON for put, NULL for delete
    author TEXT,                         -- user the server recorded as pushing it
    CHECK ((op = 'put') = (content IS NOT NULL)),
    UNIQUE (replica, seq)
);
CREATE INDEX changes_by_entity ON changes (kind, entity);

CREATE TRIGGER changes_are_append_only_update BEFORE UPDATE ON changes
BEGIN
    SELECT RAISE(ABORT, 'the change log is append-only: changes cannot be updated');
END;
CREATE TRIGGER changes_are_append_only_delete BEFORE DELETE ON changes
BEGIN
    SELECT RAISE(ABORT, 'the change log is append-only: changes cannot be deleted');
END;

-- Derived: each entity's frontier (the versions no other known version dominates).
CREATE TABLE frontier (
    kind TEXT NOT NULL,
    entity TEXT NOT NULL,
    replica TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (kind, entity, replica, seq)
) WITHOUT ROWID;

-- Derived: every entity ever seen, with what its frontier shows. The rowid keys the
-- search index.
CREATE TABLE entities (
    rowid INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    deleted INTEGER NOT NULL,            -- every frontier version is a deletion
    conflicts TEXT,                      -- JSON of field and delete conflicts; NULL if none
    created_wall INTEGER NOT NULL,       -- first version's hybrid timestamp (ms)
    modified_wall INTEGER NOT NULL,      -- latest frontier version's hybrid timestamp (ms)
    UNIQUE (kind, id)
);
CREATE INDEX entities_conflicted ON entities (kind, id) WHERE conflicts IS NOT NULL;

-- Derived: live articles as displayed.
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    date TEXT,
    text TEXT NOT NULL,
    source TEXT,
    language TEXT,
    tags TEXT NOT NULL,                  -- JSON array, sorted
    content TEXT NOT NULL                -- displayed content, canonical JSON
) WITHOUT ROWID;

-- Derived: live annotations as displayed.
CREATE TABLE annotations (
    id TEXT PRIMARY KEY,
    article TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    exact TEXT NOT NULL,
    note TEXT,
    tags TEXT NOT NULL,
    label TEXT,
    color TEXT,
    author TEXT,
    created TEXT,
    content TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX annotations_by_article ON annotations (article, start);

-- Derived: full-text search over a folded copy (case, diacritics, Turkish i) of titles,
-- article text and notes. Folding keeps one scalar per scalar, so offsets map back.
CREATE VIRTUAL TABLE search USING fts5 (
    title,
    body,
    tokenize = 'unicode61 remove_diacritics 0'
);
