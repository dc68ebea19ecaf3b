-- Gloss client replica, schema 6: lean derived state (issue #16).
--
-- Before, every article's and annotation's content was stored three times: in the log
-- (`changes.content`), as a copy in its row (`content`), and again split into columns
-- (title, text, note, tags…), plus a folded copy in the search index's content table.
-- A replica was 4.3 times its JSONL export. Now an entity's content is kept once, in the
-- log, and derived rows hold only what the log does not:
--
-- * Rows are keyed by `entities.rowid` (an integer), not by a second copy of the id;
--   `entities` is indexed by `id` alone.
-- * `frontier`: one row per frontier version, (entity rowid, change position).
-- * `articles` and `annotations`: `shown` is the position of the change whose content the
--   entity shows (its single frontier version, the overwhelming case); `content` holds a
--   copy only when the view is not one version's content (a merge of concurrent versions,
--   a contested deletion). Exactly one of the two is set.
-- * `annotations` keeps its placement on the article's current text: `start`, `end`,
--   `orphaned`, and `article` (the article's entity rowid; NULL until that article is
--   known here). The quote and its context are slices of the article's text at
--   start/end, so they are recomputed on read; only when they cannot be (the article
--   has no row: not arrived, or deleted after the annotation was placed on it) do
--   `exact`, `prefix` and `suffix` hold them. An orphan keeps its selector as written
--   (in its content), so those stay NULL for it.
-- * `search` is contentless (content=''): it keeps the index, not a copy of the folded
--   text. Snippets are computed from the original text; a row is removed with FTS5's
--   'delete' command and the folded values it was indexed with, recomputed from the
--   entity's shown content before it is overwritten.
--
-- The views `article_view` and `annotation_view` put each row back together with its
-- content and ids, for reading.
--
-- Derived tables only change shape: the log (`changes`, its indexes and triggers) stays
-- exactly as it was. This migration runs in one transaction; the pages it frees stay in
-- the file until the user runs `sqlite3 FILE 'VACUUM'` (with no Gloss process using it).

CREATE TABLE frontier_lean (
    entity INTEGER NOT NULL,             -- entities.rowid
    position INTEGER NOT NULL,           -- changes.position of a frontier version
    PRIMARY KEY (entity, position)
) WITHOUT ROWID;
INSERT INTO frontier_lean (entity, position)
    SELECT e.rowid, c.position FROM frontier f
    JOIN entities e ON e.kind = f.kind AND e.id = f.entity
    JOIN changes c ON c.replica = f.replica AND c.seq = f.seq;

-- The change an entity's row shows: its single frontier version, when the row's content
-- is exactly that version's.
CREATE TEMP TABLE lean_shown (entity INTEGER PRIMARY KEY, position INTEGER NOT NULL);
INSERT INTO lean_shown (entity, position)
    SELECT entity, MIN(position) FROM frontier_lean GROUP BY entity HAVING COUNT(*) = 1;

CREATE TABLE articles_lean (
    rowid INTEGER PRIMARY KEY,           -- entities.rowid
    shown INTEGER,                       -- changes.position whose content it shows …
    content TEXT,                        -- … or, for a merged view, that content
    CHECK ((shown IS NULL) != (content IS NULL))
);
INSERT INTO articles_lean (rowid, shown, content)
    SELECT e.rowid, s.position, CASE WHEN s.position IS NULL THEN a.content END
    FROM articles a
    JOIN entities e ON e.kind = 'article' AND e.id = a.id
    LEFT JOIN (lean_shown s JOIN changes sc ON sc.position = s.position) ON s.entity = e.rowid AND sc.content = a.content;

CREATE TABLE annotations_lean (
    rowid INTEGER PRIMARY KEY,           -- entities.rowid
    article INTEGER,                     -- the article's entities.rowid; NULL while unknown
    start INTEGER NOT NULL,              -- the placed span …
    "end" INTEGER NOT NULL,
    orphaned INTEGER NOT NULL CHECK (orphaned IN (0, 1)),
    shown INTEGER,                       -- as in articles
    content TEXT,
    exact TEXT,                          -- only while the article has no row (see above)
    prefix TEXT,
    suffix TEXT,
    CHECK ((shown IS NULL) != (content IS NULL))
);
INSERT INTO annotations_lean (rowid, article, start, "end", orphaned, shown, content, exact, prefix, suffix)
    SELECT e.rowid, ae.rowid, n.start, n."end", n.orphaned, s.position, CASE WHEN s.position IS NULL THEN n.content END,
        CASE WHEN kept THEN n.exact END, CASE WHEN kept THEN n.prefix END, CASE WHEN kept THEN n.suffix END
    FROM (SELECT n.*, NOT n.orphaned AND a.id IS NULL AS kept
          FROM annotations n LEFT JOIN articles a ON a.id = n.article) n
    JOIN entities e ON e.kind = 'annotation' AND e.id = n.id
    LEFT JOIN entities ae ON ae.kind = 'article' AND ae.id = n.article
    LEFT JOIN (lean_shown s JOIN changes sc ON sc.position = s.position) ON s.entity = e.rowid AND sc.content = n.content;

-- Same rowids and the same folded values, so the same index and the same bm25 ranks.
CREATE VIRTUAL TABLE search_lean USING fts5 (
    title,
    body,
    content = '',
    tokenize = 'unicode61 remove_diacritics 0'
);
INSERT INTO search_lean (rowid, title, body) SELECT rowid, title, body FROM search;

DROP TABLE lean_shown;
DROP TABLE search;
DROP TABLE annotations;
DROP TABLE articles;
DROP TABLE frontier;
ALTER TABLE frontier_lean RENAME TO frontier;
ALTER TABLE articles_lean RENAME TO articles;
ALTER TABLE annotations_lean RENAME TO annotations;
ALTER TABLE search_lean RENAME TO search;
CREATE INDEX annotations_by_article ON annotations (article);
CREATE INDEX annotations_orphaned ON annotations (article) WHERE orphaned;

-- `entities` keeps its rows and rowids; its index is on `id` alone, which is unique
-- across kinds (an article id is 32 hex digits, an annotation id 26 base32 characters,
-- and changes with other ids are refused), so it does not repeat `kind` 101,000 times.
CREATE TABLE entities_lean (
    rowid INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    deleted INTEGER NOT NULL,            -- every frontier version is a deletion
    conflicts TEXT,                      -- JSON of field and delete conflicts; NULL if none
    created_wall INTEGER NOT NULL,       -- first version's hybrid timestamp (ms)
    modified_wall INTEGER NOT NULL       -- latest frontier version's hybrid timestamp (ms)
);
INSERT INTO entities_lean (rowid, kind, id, deleted, conflicts, created_wall, modified_wall)
    SELECT rowid, kind, id, deleted, conflicts, created_wall, modified_wall FROM entities;
DROP TABLE entities;
ALTER TABLE entities_lean RENAME TO entities;
CREATE UNIQUE INDEX entities_by_id ON entities (id);
CREATE INDEX entities_conflicted ON entities (kind, id) WHERE conflicts IS NOT NULL;

-- Terms of the contentless index by entity row, for `gloss doctor` to compare with a
-- rebuild (a virtual table over `search`: it stores nothing).
CREATE VIRTUAL TABLE search_terms USING fts5vocab (search, instance);

-- Articles and annotations with their ids and the content they show. Look one up by
-- `kind = … AND id = …` (the entities index), or by `entity`; a kind condition alone
-- would make SQLite start from `entities` and scan it.
CREATE VIEW article_view AS
    SELECT a.rowid AS entity, e.kind AS kind, e.id AS id, COALESCE(a.content, c.content) AS content
    FROM articles a
    JOIN entities e ON e.rowid = a.rowid
    LEFT JOIN changes c ON c.position = a.shown;
CREATE VIEW annotation_view AS
    SELECT n.rowid AS entity, e.kind AS kind, e.id AS id, n.article AS article_entity, ae.id AS article,
        n.start AS start, n."end" AS "end", n.orphaned AS orphaned, n.exact AS exact, n.prefix AS prefix,
        n.suffix AS suffix, COALESCE(n.content, c.content) AS content
    FROM annotations n
    JOIN entities e ON e.rowid = n.rowid
    LEFT JOIN entities ae ON ae.rowid = n.article
    LEFT JOIN changes c ON c.position = n.shown;
