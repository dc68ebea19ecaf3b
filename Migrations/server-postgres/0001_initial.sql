-- gloss-server on PostgreSQL, schema 1 (the SQLite schema's tables, with its epochs).
-- Every key of per-corpus data leads with corpus_id, so the tables could be distributed
-- by corpus (Citus: distribute changes, replicas, frontier by corpus_id; corpora and
-- tokens are small reference tables).

-- A corpus. `last_position` numbers its stored changes (the pull cursor). A push takes
-- this row FOR UPDATE before taking positions, so pushes to one corpus commit one after
-- another in position order and no pull ever skips a change that commits late.
CREATE TABLE corpora (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_position BIGINT NOT NULL DEFAULT 0,
    epoch TEXT NOT NULL
);

-- Bearer tokens: only the SHA-256 of each is kept.
CREATE TABLE tokens (
    id BIGSERIAL PRIMARY KEY,
    corpus_id BIGINT NOT NULL REFERENCES corpora (id) ON DELETE CASCADE,
    user_name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX tokens_by_corpus ON tokens (corpus_id, id);

-- Each replica that pushed to a corpus: whose it is, and the highest seq stored.
CREATE TABLE replicas (
    corpus_id BIGINT NOT NULL REFERENCES corpora (id) ON DELETE CASCADE,
    replica TEXT NOT NULL,
    user_name TEXT NOT NULL,
    max_seq BIGINT NOT NULL,
    PRIMARY KEY (corpus_id, replica)
);

-- Every stored change, once; `wire` is its canonical JSON as pulls serve it.
-- The primary key serves the pull (corpus, position > cursor, in order); the unique key
-- makes a retried push harmless.
CREATE TABLE changes (
    corpus_id BIGINT NOT NULL REFERENCES corpora (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    replica TEXT NOT NULL,
    seq BIGINT NOT NULL CHECK (seq > 0),
    kind TEXT NOT NULL,
    entity TEXT NOT NULL,
    wire TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (corpus_id, position),
    UNIQUE (corpus_id, replica, seq)
);

CREATE FUNCTION gloss_changes_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stored changes are never updated';
END;
$$;
CREATE TRIGGER changes_are_append_only BEFORE UPDATE ON changes
    FOR EACH ROW EXECUTE FUNCTION gloss_changes_are_append_only();

-- Each entity's frontier with the clocks the merge compares; keyed by entity first, as
-- a push reads the frontiers of the entities it touches.
CREATE TABLE frontier (
    corpus_id BIGINT NOT NULL REFERENCES corpora (id) ON DELETE CASCADE,
    entity TEXT NOT NULL,
    kind TEXT NOT NULL,
    replica TEXT NOT NULL,
    seq BIGINT NOT NULL,
    clock TEXT NOT NULL,
    PRIMARY KEY (corpus_id, entity, replica, seq)
);
