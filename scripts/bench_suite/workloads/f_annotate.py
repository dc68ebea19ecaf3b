"""(f) one gloss annotate process against one sqlite3-tool insert into a copy of the file."""

from __future__ import annotations

import json
import re
import statistics
import time

from bench_suite.baseline import canonical_json
from bench_suite.corpora import copy_store, sqlite_scalar
from bench_suite.figures import cpu_share, ms, ratio
from bench_suite.measure import run_measured
from bench_suite.report import Row, WorkloadFailed


def annotate_workload(bench):
    if not bench.big_replica:
        raise WorkloadFailed("(a) did not leave an imported replica")
    runs = bench.sizes.annotate_runs
    article, quote = first_article_and_word(bench)
    gloss_copy, sqlite_copy = bench.path("annotate.gloss"), bench.path("annotate-sqlite3.gloss")
    copy_store(bench.big_replica, gloss_copy)
    copy_store(bench.big_replica, sqlite_copy)
    annotate = [run_measured(bench.gloss.cmd("annotate", article, "--quote", quote, "--occurrence", "1",
                                             "--note", f"bench note {i}", "--store", gloss_copy, "--json"))
                for i in range(runs)]
    replica_id = sqlite_scalar(sqlite_copy, "SELECT id FROM replica")
    baseline = [run_measured(["sqlite3", sqlite_copy, one_row_insert(replica_id, article, quote, i)])
                for i in range(runs)]
    count = sqlite_scalar(gloss_copy, "SELECT count(*) FROM annotation_view "
                                      "WHERE json_extract(content, '$.note') LIKE 'bench note %'")
    bench.report.check(count == runs, f"(f) {count} annotations made by {runs} `gloss annotate` runs")
    gloss_median = statistics.median(m.seconds for m in annotate)
    sqlite_median = statistics.median(m.seconds for m in baseline)
    bench.report.add(Row(
        "(f)", f"one `gloss annotate` process on the {bench.sizes.changes:,}-change replica",
        ms(gloss_median), baseline=f"{ms(sqlite_median)} sqlite3 tool", ratio=ratio(gloss_median, sqlite_median),
        note=f"medians of {runs}; baseline: `sqlite3 COPY \"PRAGMA synchronous=FULL; INSERT INTO changes …\"` "
             "(one annotation-sized row) on a copy of the same file",
        bound="process start-up and store opening (client CPU "
              f"{cpu_share(statistics.median(m.cpu for m in annotate), gloss_median)}"
              " of wall); one WAL commit with fsync each, like the baseline"))


def first_article_and_word(bench):
    with open(bench.big_jsonl, encoding="utf-8") as f:
        article = json.loads(f.readline())
    word = next(w for w in re.findall(r"[^\W\d_]{4,}", article["text"]))
    return article["id"], word


def one_row_insert(replica, article, quote, number):
    """SQL for the sqlite3 tool: one annotation-sized row into the change log."""
    seq = 10_000_000 + number
    content = canonical_json({"article": article, "author": "bench", "created": "2026-01-01T00:00:00Z",
                              "note": f"bench note {number}", "tags": [],
                              "target": {"end": 4, "exact": quote, "prefix": "", "start": 0, "suffix": ""}})
    values = [replica, seq, "annotation", f"bench{number:021d}", "put", canonical_json({replica: seq}),
              int(time.time() * 1000), 0, "[]", content]
    literals = ", ".join(str(v) if isinstance(v, int) else "'" + v.replace("'", "''") + "'" for v in values)
    return ("PRAGMA synchronous=FULL; INSERT INTO changes (replica, seq, kind, entity, op, clock, hlc_wall, "
            f"hlc_counter, replaces, content) VALUES ({literals});")
