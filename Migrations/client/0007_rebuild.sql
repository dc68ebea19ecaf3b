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

-- Client compaction (`gloss compact`). A replica may drop a version of an entity that the
-- entity's single frontier version supersedes once that version is below the server's
-- compaction floor: every active replica has seen it, so no merge will need what it
-- superseded (the server drops the same). Local positions do not say where a change is on
-- the server, so each complete pull leaves a mark: every change at a local position up to
-- `local_position` (the log when the pull ended) is on the server at a position up to
-- `cursor` (where the pull ended), except this replica's own changes with a seq above
-- `pushed_seq` (what the server had acknowledged when the pull began: later ones may have
-- reached it after the pull read its last page, or not at all).
CREATE TABLE server_marks (
    local_position INTEGER PRIMARY KEY,
    cursor INTEGER NOT NULL,
    pushed_seq INTEGER NOT NULL
);

-- Each compaction of this replica's log: when, against which floor, what it dropped and
-- kept, and the file's size before and after (`gloss log --compactions`).
CREATE TABLE compactions (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    floor INTEGER NOT NULL,
    stable_through INTEGER NOT NULL,     -- the local position below which it looked
    dropped INTEGER NOT NULL,
    kept_concurrent INTEGER NOT NULL,    -- entities left whole: concurrent versions or open conflicts
    kept_unpushed INTEGER NOT NULL,      -- this replica's changes not yet acknowledged, never dropped
    bytes_before INTEGER NOT NULL,
    bytes_after INTEGER NOT NULL
);
