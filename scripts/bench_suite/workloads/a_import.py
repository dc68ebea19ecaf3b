"""(a) gloss import of a generated corpus into a fresh replica, against the raw SQLite baseline."""

from __future__ import annotations

import time

from bench_suite.baseline import (
    GLOSS_CACHE_SIZE,
    INSERTS,
    MIRROR_QUERIES,
    baseline_rows,
    cache_text,
    open_baseline_replica,
    raw_insert_seconds,
    table_digests,
)
from bench_suite.corpora import gen_corpus
from bench_suite.figures import cpu_share, mib, ratio, secs
from bench_suite.report import Row


def import_workload(bench):
    s = bench.sizes
    bench.big_jsonl = gen_corpus(bench.path("corpus-full.jsonl"), s.articles, s.annotations, 1)
    bench.big_replica = bench.path("imported.gloss")
    bench.gloss.init(bench.big_replica, "importer")
    imported = bench.gloss.import_checked(bench.big_jsonl, bench.big_replica, s.articles, s.annotations,
                                          bench.report)
    bench.raw_insert, tables = raw_baseline(bench, bench.big_jsonl, bench.big_replica, "(a)")
    bench.report.add(Row(
        "(a)", f"gloss import, {s.articles:,} articles + {s.annotations:,} annotations (fresh replica)",
        secs(imported.seconds), baseline=secs(bench.raw_insert), ratio=ratio(imported.seconds, bench.raw_insert),
        note=f"baseline: python3 sqlite3, WAL, synchronous FULL, cache {cache_text(GLOSS_CACHE_SIZE)} as "
             f"gloss sets it, one transaction, executemany into {tables} "
             f"(rows checked identical to gloss's); client peak RSS {mib(imported.maxrss_kib)}",
        bound=f"client CPU {cpu_share(imported.cpu, imported.seconds)} of wall: parsing JSONL, canonical "
              "JSON, validation and minting on a second thread; new entities written table by table "
              "(log, entities, frontier, rows with placement, FTS5) in 1,000-item transactions; the "
              "baseline does no parsing, no lookups and one commit"))


def raw_baseline(bench, jsonl, imported_replica, label):
    """Inserts the same rows as `gloss import` of `jsonl` into a replica built from the
    migrations; checks row for row that they are what gloss wrote into `imported_replica`;
    returns (seconds, table list)."""
    wall = int(time.time() * 1000)
    replica_id = "0BENCHBASE1NE0000000000000"
    rows = baseline_rows(jsonl, replica_id, wall)   # computed before the clock starts
    path = bench.path(f"raw-baseline-{label.strip('()')}.sqlite")
    db = open_baseline_replica(path, replica_id, wall)
    seconds = raw_insert_seconds(db, rows, wall)
    db.close()
    ours, theirs = table_digests(path), table_digests(imported_replica)
    for table in MIRROR_QUERIES:
        bench.report.check(ours[table] == theirs[table],
                           f"{label} the raw baseline's {table} rows differ from gloss import's "
                           f"({ours[table][0]} vs {theirs[table][0]} rows): the baseline no longer mirrors it")
    return seconds, ", ".join(INSERTS) + " (+ replica's clock)"
