"""The raw SQLite baseline of (a): the rows `gloss import` writes, inserted by python3's
sqlite3 with gloss's settings, and the check that they are the same rows."""

from __future__ import annotations

import datetime
import glob
import hashlib
import json
import os
import sqlite3
import time
import unicodedata

from bench_suite.paths import CLIENT_MIGRATIONS


def fold(text):
    """Gloss's search folding (GlossCore TextFolding): one scalar per scalar, case,
    diacritics and the Turkish dotted/dotless i."""
    return "".join(map(fold_char, text))


FOLD_CACHE = {}


def fold_char(char):
    if char < "\x80":
        return char.lower() if "A" <= char <= "Z" else char
    if char in ("\u0130", "\u0131"):
        return "i"
    cached = FOLD_CACHE.get(char)
    if cached is None:
        letters = [c for c in unicodedata.normalize("NFD", char) if unicodedata.category(c) != "Mn"]
        base = letters[0] if len(letters) == 1 else char
        lowered = base.lower()
        cached = FOLD_CACHE[char] = ("i" if lowered == "\u0131" else lowered) if len(lowered) == 1 else base
    return cached


def canonical_json(value):
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def baseline_rows(jsonl, replica_id, wall):
    """Every row `gloss import` writes for this JSONL into a fresh replica, per table:
    the change log (one put per item, articles first as gloss imports them), entities,
    frontier, articles, annotations and the FTS5 search index."""
    with open(jsonl, encoding="utf-8") as f:
        items = [json.loads(line) for line in f]
    items.sort(key=lambda item: item["type"] != "article")  # stable: articles, then annotations
    rows = {table: [] for table in ("changes", "entities", "frontier", "articles", "annotations", "search")}
    article_rows = {}
    for number, item in enumerate(items, start=1):
        kind, entity = item["type"], item["id"]
        content_value = {k: v for k, v in item.items() if k not in ("type", "id")}
        content = canonical_json(content_value)
        rows["changes"].append((number, replica_id, number, kind, entity, "put", canonical_json({replica_id: number}),
                                wall, number - 1, "[]", content, None))
        rows["entities"].append((number, kind, entity, 0, None, wall, wall))
        # The lean layout (schema 6): derived rows are keyed by the entity's rowid and show
        # the change at `shown` (here each entity's only change) instead of copying it.
        rows["frontier"].append((number, number))
        if kind == "article":
            article_rows[entity] = number
            rows["articles"].append((number, number, None))
            rows["search"].append((number, fold(item["title"]), fold(item["text"])))
        else:
            # The placement (the generated spans hold their quotes: none is an orphan); the
            # quote and its context are cut from the article's text when read.
            target = item["target"]
            rows["annotations"].append((number, article_rows[item["article"]], target["start"], target["end"], 0,
                                        number, None, None, None, None))
            if item.get("note"):
                rows["search"].append((number, "", fold(item["note"])))
    return rows


INSERTS = {
    "changes": "INSERT INTO changes VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
    "entities": "INSERT INTO entities (rowid, kind, id, deleted, conflicts, created_wall, modified_wall) "
                "VALUES (?,?,?,?,?,?,?)",
    "frontier": "INSERT INTO frontier (entity, position) VALUES (?,?)",
    "articles": "INSERT INTO articles (rowid, shown, content) VALUES (?,?,?)",
    "annotations": "INSERT INTO annotations (rowid, article, start, \"end\", orphaned, shown, content, exact, "
                   "prefix, suffix) VALUES (?,?,?,?,?,?,?,?,?,?)",
    "search": "INSERT INTO search (rowid, title, body) VALUES (?,?,?)",
}


# The client's `PRAGMA cache_size` (negative: KiB), as GlossDatabase.configuration() in
# Sources/GlossStore/Database/GlossDatabase.swift sets it on every connection: the baselines
# use gloss's settings. No gloss command prints it, so it is stated here: change both together.
GLOSS_CACHE_SIZE = -4096


def cache_text(cache_size):
    """A cache_size as people read it: -4096 is "4 MiB"."""
    return f"{-cache_size / 1024:g} MiB" if cache_size < 0 else f"{cache_size} pages"


def open_baseline_replica(path, replica_id, wall):
    """A fresh replica made by executing Migrations/client/*.sql in order (what gloss init
    does), with gloss's connection settings: WAL, synchronous FULL, its cache size."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute(f"PRAGMA cache_size = {GLOSS_CACHE_SIZE}")
    for migration in sorted(glob.glob(os.path.join(CLIENT_MIGRATIONS, "*.sql"))):
        with open(migration, encoding="utf-8") as f:
            db.executescript(f.read())
    db.execute("INSERT INTO replica VALUES (1, ?, 'bench', ?, ?, 0)",
               (replica_id, datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), wall))
    return db


def raw_insert_seconds(db, rows, wall):
    """The timed part: one transaction, one executemany per table, the clock's update."""
    began = time.perf_counter()
    db.execute("BEGIN")
    for table, statement in INSERTS.items():
        db.executemany(statement, rows[table])
    db.execute("UPDATE replica SET hlc_wall = ?, hlc_counter = ?", (wall, len(rows["changes"]) - 1))
    db.execute("COMMIT")
    return time.perf_counter() - began


MIRROR_QUERIES = {
    "changes": "SELECT position, seq, kind, entity, op, replaces, content, author FROM changes ORDER BY position",
    "entities": "SELECT rowid, kind, id, deleted, conflicts FROM entities ORDER BY rowid",
    "frontier": "SELECT entity, position FROM frontier ORDER BY entity, position",
    "articles": "SELECT rowid, shown, content FROM articles ORDER BY rowid",
    "annotations": "SELECT rowid, article, start, \"end\", orphaned, shown, content, exact, prefix, suffix "
                   "FROM annotations ORDER BY rowid",
    # The index is contentless: compare its terms, by entity, column and offset.
    "search": "SELECT term, doc, col, offset FROM search_terms ORDER BY term, doc, col, offset",
}


def table_digests(path):
    """A digest of each table's rows, leaving out what differs between any two replicas
    (replica ids, clock readings)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    digests = {}
    for table, query in MIRROR_QUERIES.items():
        digest, count = hashlib.sha256(), 0
        for row in db.execute(query):
            digest.update(repr(row).encode())
            count += 1
        digests[table] = (count, digest.hexdigest())
    db.close()
    return digests
