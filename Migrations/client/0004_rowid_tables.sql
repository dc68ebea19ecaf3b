-- Gloss client replica, schema 4: articles and annotations become rowid tables.
--
-- As WITHOUT ROWID tables keyed by their (random) ids, every new row went to a random
-- leaf of a table whose rows are large (an annotation's row is ~800 bytes, an article's
-- several KB), so a first sync of 100,000 annotations wrote a random page of a 75 MB
-- B-tree per row and re-read most of them once the 8 MiB page cache was full. A rowid
-- table appends new rows; only the small index on `id` takes random inserts. SQLite's
-- own advice: WITHOUT ROWID suits rows smaller than about 1/20 of a page.
-- Both tables are derived from the change log, so their rows are copied as they are.

CREATE TABLE articles_by_rowid (
    id TEXT NOT NULL PRIMARY KEY,
    title TEXT NOT NULL,
    date TEXT,
    text TEXT NOT NULL,
    source TEXT,
    language TEXT,
    tags TEXT NOT NULL,                  -- JSON array, sorted
    content TEXT NOT NULL                -- displayed content, canonical JSON
);
INSERT INTO articles_by_rowid (id, title, date, text, source, language, tags, content)
    SELECT id, title, date, text, source, language, tags, content FROM articles;
DROP TABLE articles;
ALTER TABLE articles_by_rowid RENAME TO articles;

CREATE TABLE annotations_by_rowid (
    id TEXT NOT NULL PRIMARY KEY,
    article TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    exact TEXT NOT NULL,
    note TEXT,
    tags TEXT NOT NULL,
    label TEXT,
    color TEXT,
    author TEXT,
    created TEXT,
    content TEXT NOT NULL
);
INSERT INTO annotations_by_rowid (id, article, start, "end", exact, note, tags, label, color, author, created, content)
    SELECT id, article, start, "end", exact, note, tags, label, color, author, created, content FROM annotations;
DROP TABLE annotations;
ALTER TABLE annotations_by_rowid RENAME TO annotations;
CREATE INDEX annotations_by_article ON annotations (article, start);
