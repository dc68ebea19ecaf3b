-- gloss-server on embedded SQLite, schema 4: who has seen what.
--
-- Per corpus and replica: the user it acts for, the highest position its pulls said it
-- had seen (`after` of a pull in the corpus's current epoch), when it was last seen
-- (any push or pull), and when it was retired (by hand, or after `serve --retire-after`
-- of silence). The stability horizon of a corpus is the lowest `pulled_position` of its
-- replicas that are not retired: every active replica has seen everything up to it.
-- Push ownership and seqs stay in `replicas`; a replica that only pulls has a row here
-- and none there.
CREATE TABLE replica_progress (
    corpus_id INTEGER NOT NULL REFERENCES corpora (id) ON DELETE CASCADE,
    replica TEXT NOT NULL,
    user TEXT NOT NULL,
    pulled_position INTEGER NOT NULL DEFAULT 0 CHECK (pulled_position >= 0),
    last_seen_at TEXT NOT NULL,
    retired_at TEXT,
    PRIMARY KEY (corpus_id, replica)
) WITHOUT ROWID;

-- Replicas that pushed before this schema: seen now (so that silence counts from the
-- upgrade), having seen nothing yet (the cautious assumption).
INSERT INTO replica_progress (corpus_id, replica, user, pulled_position, last_seen_at)
SELECT corpus_id, replica, user, 0, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM replicas;
