-- gloss-server on embedded SQLite, schema 5: compaction.
--
-- `floor` is the highest horizon a compaction of the corpus ran at: versions at or below it
-- that a later version at or below it supersedes may have been dropped. It is committed
-- before anything is dropped, and a replica whose cursor is below it is refused with
-- `410 resync_required` (docs/protocol.md, "Compaction and the floor").
-- `compacted_through` is the floor up to which a compaction finished looking at every
-- entity: a compaction stopped half-way (kill -9) leaves it below `floor`, and the next
-- one finishes the job.
ALTER TABLE corpora ADD COLUMN floor INTEGER NOT NULL DEFAULT 0 CHECK (floor >= 0);
ALTER TABLE corpora ADD COLUMN compacted_through INTEGER NOT NULL DEFAULT 0 CHECK (compacted_through >= 0);

-- Compaction reads an entity's stored changes together; pushes never need this order.
CREATE INDEX changes_by_entity ON changes (corpus_id, entity, position);
