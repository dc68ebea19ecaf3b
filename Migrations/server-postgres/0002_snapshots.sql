-- gloss-server on PostgreSQL, schema 2: snapshots.
--
-- A snapshot is a ready replica file in the client's schema. Its bytes live here, in
-- chunks of about 1 MiB, so every server process serves the same snapshot. A snapshot is
-- uploaded chunk by chunk while `complete` is false, then one short transaction marks it
-- complete and deletes the corpus's previous one (its chunks cascade): at most one complete
-- snapshot per corpus. A download reads chunks by snapshot id, so it can never get a mix
-- of two files. Renewing epochs and deleting the corpus delete its snapshots.
CREATE TABLE snapshots (
    id BIGSERIAL PRIMARY KEY,
    corpus_id BIGINT NOT NULL REFERENCES corpora (id) ON DELETE CASCADE,
    epoch TEXT NOT NULL,
    position BIGINT NOT NULL CHECK (position >= 0),
    changes BIGINT NOT NULL CHECK (changes >= 0),
    size BIGINT NOT NULL CHECK (size > 0),
    sha256 TEXT NOT NULL,
    chunk_size INTEGER NOT NULL CHECK (chunk_size > 0),
    created_at TEXT NOT NULL,
    complete BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX snapshots_one_complete_per_corpus ON snapshots (corpus_id) WHERE complete;

CREATE TABLE snapshot_chunks (
    snapshot_id BIGINT NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    chunk INTEGER NOT NULL CHECK (chunk >= 0),
    data BYTEA NOT NULL,
    PRIMARY KEY (snapshot_id, chunk)
);
