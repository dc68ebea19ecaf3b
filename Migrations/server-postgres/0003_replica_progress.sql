-- gloss-server on PostgreSQL, schema 3: who has seen what (see the SQLite schema 4 for
-- the meaning of each column). The stability horizon of a corpus is the lowest
-- `pulled_position` of its replicas that are not retired.
CREATE TABLE replica_progress (
    corpus_id BIGINT NOT NULL REFERENCES corpora (id) ON DELETE CASCADE,
    replica TEXT NOT NULL,
    user_name TEXT NOT NULL,
    pulled_position BIGINT NOT NULL DEFAULT 0 CHECK (pulled_position >= 0),
    last_seen_at TEXT NOT NULL,
    retired_at TEXT,
    PRIMARY KEY (corpus_id, replica)
);

INSERT INTO replica_progress (corpus_id, replica, user_name, pulled_position, last_seen_at)
SELECT corpus_id, replica, user_name, 0, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM replicas;
