"""(i) re-anchoring after corrections: `scripts/anchoring-eval run` on the evaluation set,
and the time of one correction's re-anchoring against a sqlite3 insert."""

from __future__ import annotations

import collections
import filecmp
import json
import os
import sqlite3
import statistics
import sys
import time

from bench_suite.baseline import GLOSS_CACHE_SIZE, canonical_json
from bench_suite.figures import met, ms, ratio
from bench_suite.measure import run, run_measured
from bench_suite.paths import ANCHORING_CASES, ANCHORING_EVAL
from bench_suite.report import Row, WorkloadFailed


def anchoring_workload(bench):
    """`scripts/anchoring-eval run` with the anchoring-eval in the bin folder: the evaluation
    set's shares and the speed case's time, beside python3's sqlite3 inserting as many rows.
    With --smoke, a small set generated here and one timed repetition: counts checked only."""
    exe = os.path.join(bench.bin_dir, "anchoring-eval")
    # The committed set must be exactly what its generator makes (it is deterministic).
    regenerated = bench.path("anchoring-regenerated.jsonl")
    run([sys.executable, ANCHORING_EVAL, "generate", "--out", regenerated])
    bench.report.check(os.path.exists(ANCHORING_CASES) and filecmp.cmp(regenerated, ANCHORING_CASES, shallow=False),
                       "(i) examples/anchoring-eval/cases.jsonl is not what `scripts/anchoring-eval generate` "
                       "makes: regenerate it (see examples/anchoring-eval/README.md)")
    if bench.smoke:
        cases, repeat = bench.path("anchoring-smoke.jsonl"), 1
        run([sys.executable, ANCHORING_EVAL, "generate", "--seed", "5", "--articles", "3", "--speed-bytes", "10000",
             "--speed-annotations", "100", "--out", cases])
    else:
        cases, repeat = ANCHORING_CASES, 7
    figures_path = bench.path("anchoring-figures.json")
    measured = run_measured([sys.executable, ANCHORING_EVAL, "run", "--bin", exe, "--cases", cases,
                             "--repeat", repeat, "--json-out", figures_path], check=False)
    if not os.path.exists(figures_path):
        raise WorkloadFailed(f"`scripts/anchoring-eval run --bin {exe} --cases {cases}` wrote no figures: "
                             f"{measured.stderr.strip()[-2000:]}")
    with open(figures_path, encoding="utf-8") as f:
        figures = json.load(f)
    with open(cases, encoding="utf-8") as f:
        items = [json.loads(line) for line in f if line.strip()]
    check_anchoring_counts(bench, items, figures)
    speed = next(item for item in items if item["kind"] == "speed")
    rows = [(a["id"], canonical_json(a["selector"])) for a in speed["annotations"]]
    baseline = statistics.median(sqlite_insert_seconds(bench.path(f"placements-{i}.sqlite"), rows)
                                 for i in range(repeat))
    add_anchoring_rows(bench, figures, baseline, len(rows), repeat)


def check_anchoring_counts(bench, items, figures):
    regular = [item for item in items if item["kind"] == "regular"]
    outcomes = collections.Counter(a["expected"]["outcome"] for item in regular for a in item["annotations"])
    total = sum(len(item["annotations"]) for item in items)
    bench.report.check(figures["missing_results"] == 0 and figures["results"] == total,
                       f"(i) anchoring-eval placed {figures['results']} annotations ({figures['missing_results']} "
                       f"without a result), expected {total}")
    bench.report.check(figures["articles"] == len(regular) and figures["annotations"] == sum(outcomes.values()),
                       f"(i) judged {figures['articles']} articles and {figures['annotations']} annotations, "
                       f"expected {len(regular)} and {sum(outcomes.values())}")
    judged = {name: row["total"] for name, row in figures["outcomes"].items()}
    bench.report.check(all(judged.get(name, 0) == count for name, count in outcomes.items()),
                       f"(i) outcome counts {judged} differ from the cases' {dict(outcomes)}")
    speed = figures["speed"] or {}
    bench.report.check(speed.get("identical_runs") is True and len(speed.get("runs_ms", [])) >= 1,
                       f"(i) the speed case's repetitions did not all place every annotation alike: {speed}")


def sqlite_insert_seconds(path, rows):
    """python3's sqlite3 (WAL, synchronous FULL, gloss's cache size) inserting (id, payload)
    rows in one transaction into a fresh table: the timed part is the transaction."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute(f"PRAGMA cache_size = {GLOSS_CACHE_SIZE}")
        db.execute("CREATE TABLE placements (id TEXT PRIMARY KEY, payload TEXT NOT NULL)")
        began = time.perf_counter()
        db.execute("BEGIN")
        db.executemany("INSERT INTO placements VALUES (?, ?)", rows)
        db.execute("COMMIT")
        return time.perf_counter() - began
    finally:
        db.close()


def add_anchoring_rows(bench, f, baseline, baseline_rows, repeat):
    def share_text(item):
        return f"{item['share']:.2%} ({item['count']:,} of {item['of']:,})"

    def others(outcome, *skip):
        row = f["outcomes"][outcome]
        return ", ".join(f"{k} {v:,}" for k, v in row.items() if k not in ("total", *skip)) or "none"

    judged = ("judged by `scripts/anchoring-eval run` against the outcome the generator knows from the "
              "edits it applied")
    bound = ("the anchoring rules of GlossCore's Anchoring (context must agree before a quote moves); "
             "examples/anchoring-eval/README.md says what is judged")
    changes = "; ".join(f"{name} {v.get('exact', 0)}/{sum(v.values())}" for name, v in f["corrected_by_change"].items())
    bench.report.add(Row(
        "(i)", "re-anchoring after corrections: annotations whose words survive, re-anchored exactly",
        share_text(f["survives_exact"]), target="≥ 97%", status=met(f["survives_exact"]["share"] >= 0.97),
        note=f"{f['articles']} seed-format articles, {f['annotations']:,} annotations "
             "(examples/anchoring-eval/cases.jsonl, `scripts/anchoring-eval generate --seed 1`): typos and Turkish "
             "letters fixed inside and beside annotated words, sentences and paragraphs inserted, deleted and "
             "moved, paragraph breaks changed, quotes that occur many times, spans across paragraphs, emoji; "
             f"{judged}; not exact: {others('survives', 'exact')}",
        bound=bound))
    bench.report.add(Row(
        "(i)", "annotations with a corrected letter inside their words, on the corrected words",
        share_text(f["corrected_exact"]), target="≥ 90%", status=met(f["corrected_exact"]["share"] >= 0.90),
        note=f"exactly the corrected words' span; not exact: {others('corrected', 'exact')}; exact by change: "
             f"{changes} (break: only the whitespace between its words changed)",
        bound=bound))
    bench.report.add(Row(
        "(i)", "annotations whose words were deleted, orphaned",
        share_text(f["deleted_orphaned"]), target="≥ 95%", status=met(f["deleted_orphaned"]["share"] >= 0.95),
        note=f"placed anyway (wrong words): {f['outcomes']['deleted'].get('wrong', 0):,}", bound=bound))
    partial, split = f["outcomes"]["partial"], f["outcomes"]["split"]
    bench.report.add(Row(
        "(i)", "annotations moved to wrong words", f"{f['wrong_words']:,}", target="0",
        status=met(f["wrong_words"] == 0),
        note="placed, but not on ≥ 50% of the expected span (deleted: placed at all); by outcome: "
             + ", ".join(f"{k} {v}" for k, v in f["wrong_by_outcome"].items())
             + f"; not in the shares above: {partial['total']} with some of their words deleted ({others('partial')}) "
             f"and {split['total']} with text now between their words ({others('split')}), wrong = placed on none "
             "of their remaining words",
        bound=bound))
    s = f["speed"]
    seconds = s["median_ms"] / 1000
    bench.report.add(Row(
        "(i)", f"re-anchoring {s['annotations']:,} annotations after a correction of a "
               f"{s['bytes'] / 1000:,.0f} KB article",
        ms(seconds), baseline=f"{ms(baseline)} sqlite3 insert of {baseline_rows:,} rows",
        ratio=ratio(seconds, baseline), target="≤ 100 ms", status=met(seconds <= 0.100),
        note=f"inside one anchoring-eval process (ContinuousClock): building the index of the corrected text "
             f"({s['bytes']:,} bytes, {s['scalars']:,} scalars) and placing every annotation, median of "
             f"{len(s['runs_ms'])}; one letter restored in the lead sentence, so every annotation moves "
             f"({s['verdicts'].get('exact', 0):,} re-anchored exactly); baseline: python3 sqlite3 (WAL, synchronous "
             f"FULL) inserting {baseline_rows:,} (id, selector JSON) rows in one transaction, median of {repeat}",
        bound=f"CPU, one thread: the index ({ms(s['index_median_ms'] / 1000)} of it: scalars folded and coded, "
              "every gram's key radix-sorted), then per annotation its quote's gram lookup and the context "
              "scoring of its occurrences"))
