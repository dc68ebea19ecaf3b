-- gloss-server on PostgreSQL, schema 4: compaction (see the SQLite schema 5 for the meaning
-- of each column). A compaction takes the corpus row FOR UPDATE to raise `floor`, and again
-- for each batch of entities it compacts, so it takes turns with pushes.
ALTER TABLE corpora ADD COLUMN floor BIGINT NOT NULL DEFAULT 0 CHECK (floor >= 0);
ALTER TABLE corpora ADD COLUMN compacted_through BIGINT NOT NULL DEFAULT 0 CHECK (compacted_through >= 0);

-- Compaction reads an entity's stored changes together; pushes never need this order.
CREATE INDEX changes_by_entity ON changes (corpus_id, entity, position);
