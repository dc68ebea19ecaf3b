"""Generated corpora and replicas: gen-corpus, the ids in JSONL files, copies of stores."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys

from bench_suite.measure import run
from bench_suite.paths import GEN_CORPUS


def gen_corpus(path, articles, annotations, seed):
    run([sys.executable, GEN_CORPUS, "--articles", articles, "--annotations", annotations,
         "--seed", seed, "--out", path])
    return path


def jsonl_ids(path):
    """The (type, id) of every line of a JSONL file."""
    with open(path, encoding="utf-8") as f:
        return [(item["type"], item["id"]) for item in map(json.loads, f)]


def export_ids(text):
    """The (type, id) of every line of a `gloss export --format jsonl`."""
    return [(item["type"], item["id"]) for item in map(json.loads, text.splitlines())]


def copy_store(source, destination):
    """Copies a replica (the file, and its WAL if one was left)."""
    for suffix in ("", "-wal"):
        if os.path.exists(source + suffix):
            shutil.copyfile(source + suffix, destination + suffix)


def sqlite_scalar(path, query):
    db = sqlite3.connect(path)
    try:
        return db.execute(query).fetchone()[0]
    finally:
        db.close()
