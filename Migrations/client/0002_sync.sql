-- Gloss client replica, schema 2: the remote this replica syncs with.

-- At most one remote. `cursor` is the server position of the last change pulled and
-- `pushed_seq` the highest local seq the server acknowledged; both are saved in the
-- same transaction as what they describe.
CREATE TABLE remote (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    url TEXT NOT NULL,
    corpus TEXT NOT NULL,
    token TEXT NOT NULL,
    cacert TEXT,
    cursor INTEGER NOT NULL DEFAULT 0,
    pushed_seq INTEGER NOT NULL DEFAULT 0,
    last_sync_at TEXT,
    last_result TEXT
);
