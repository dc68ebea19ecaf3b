-- Gloss client replica, schema 5: where each annotation sits on its article's current
-- text, as derived state.
--
-- An article's text can be corrected; its annotations are then placed again on the new
-- text (by position, else by quote with its context, else by an approximate match) or
-- become orphans. Placement is a pure function of an annotation's own selector and the
-- text, recomputed on every replica and never a change, so replicas never conflict over
-- it. `start`, `end` and `exact` now hold the placed span, `prefix` and `suffix` its
-- context in the current text; an orphan keeps its last selector and has `orphaned = 1`.
-- The annotation's selector as written stays in `content`.
-- Existing rows are placed by the migration step that follows this script in Swift
-- (`AnnotationPlacement.placeAll`), with the same code every later change uses.

ALTER TABLE annotations ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE annotations ADD COLUMN suffix TEXT NOT NULL DEFAULT '';
ALTER TABLE annotations ADD COLUMN orphaned INTEGER NOT NULL DEFAULT 0 CHECK (orphaned IN (0, 1));
CREATE INDEX annotations_orphaned ON annotations (article) WHERE orphaned;
