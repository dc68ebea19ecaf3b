"""The bare-insert baseline of issue #16: the records of a JSONL file inserted into one
table `(id TEXT PRIMARY KEY, payload TEXT)` by python3's sqlite3 in one transaction (WAL,
synchronous NORMAL) — the baseline a Yjs websocket server's SQLite store is measured
against, and every figure of workload (l) with it."""

from __future__ import annotations

import json
import os
import sqlite3
import time


def bare_insert_median_seconds(jsonl, path, runs=3):
    """The median of `runs` bare inserts (one alone varied 0.61-0.77 s between runs on a
    quiet machine), and the records counted."""
    timings = [bare_insert_seconds(jsonl, path) for _ in range(runs)]
    return sorted(seconds for seconds, _ in timings)[runs // 2], timings[0][1]


def bare_insert_seconds(jsonl, path):
    """Reads the records first (not timed), then times opening, inserting and committing."""
    with open(jsonl, encoding="utf-8") as f:
        records = [(json.loads(line)["id"], line.rstrip("\n")) for line in f if line.strip()]
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    began = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("CREATE TABLE records (id TEXT PRIMARY KEY, payload TEXT)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO records (id, payload) VALUES (?, ?)", records)
    db.execute("COMMIT")
    db.close()
    return time.perf_counter() - began, len(records)
