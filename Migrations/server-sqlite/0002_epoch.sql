-- gloss-server on embedded SQLite, schema 2: corpus epochs.
--
-- A corpus's epoch names one history of its positions. Restoring the data folder from a
-- backup (`gloss-server restore`) gives every corpus a new epoch, because positions
-- after the backup will be taken again by other changes; a replica that sees the epoch
-- change pulls from position 0 again instead of skipping those changes.
ALTER TABLE corpora ADD COLUMN epoch TEXT NOT NULL DEFAULT '';
UPDATE corpora SET epoch = lower(hex(randomblob(16)));
