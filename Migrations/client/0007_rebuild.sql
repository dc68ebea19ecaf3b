-- Gloss client replica, schema 7: what a compacted server needs to know, and rebuilding.
--
-- A server compacts its log by causal stability (docs/protocol.md, "Compaction and the
-- floor"): it drops versions that a version every active replica has seen supersedes. A
-- replica whose changes were made before it saw such a version could bring back a
-- concurrency whose common ancestors are gone, so a push says at which pull position its
-- changes were made, and a server that compacted past it refuses (410 resync_required).
--
-- * `remote.basis_cursor`, `remote.basis_epoch`: the pull position at which the oldest
--   change not yet acknowledged was made (NULL while everything is acknowledged). A push
--   sends it (or the cursor, when NULL). It is kept by the trigger below, so every way of
--   writing a local change records it, and cleared when the server has acknowledged all.
-- * `remote.floor`: the server's compaction floor as its last pull page said (0: never
--   compacted). Below it the log may have gaps in other replicas' seqs (`gloss doctor`).
-- * `rebuild_carry`: while a refused replica rebuilds itself from the server's current
--   state, the local history of every entity its unacknowledged changes touched, kept
--   durably until they have been made again as new versions on top of that state.

ALTER TABLE remote ADD COLUMN floor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE remote ADD COLUMN basis_cursor INTEGER;
ALTER TABLE remote ADD COLUMN basis_epoch TEXT;

-- Unacknowledged changes made before this schema: made at some cursor up to the current one,
-- which is not known. 0 when the replica never pulled (it was then 0); otherwise the
-- cautious 1, which a compacted server refuses: the replica rebuilds and loses nothing.
UPDATE remote SET basis_cursor = CASE WHEN cursor = 0 THEN 0 ELSE 1 END, basis_epoch = epoch
WHERE EXISTS (SELECT 1 FROM changes c JOIN replica r ON c.replica = r.id WHERE c.seq > remote.pushed_seq);

CREATE TRIGGER local_change_records_its_basis AFTER INSERT ON changes
WHEN NEW.replica = (SELECT id FROM replica)
BEGIN
    UPDATE remote SET basis_cursor = cursor, basis_epoch = epoch WHERE basis_cursor IS NULL;
END;

CREATE TABLE rebuild_carry (
    replica TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    entity TEXT NOT NULL,
    op TEXT NOT NULL,
    clock TEXT NOT NULL,
    hlc_wall INTEGER NOT NULL,
    hlc_counter INTEGER NOT NULL,
    replaces TEXT NOT NULL,
    content TEXT,
    author TEXT,
    -- 1 for the entity's latest change not acknowledged (the one made again), 0 for history
    tip INTEGER NOT NULL CHECK (tip IN (0, 1)),
    PRIMARY KEY (replica, seq)
) WITHOUT ROWID;
