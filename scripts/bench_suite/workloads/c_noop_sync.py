"""(c) a sync with nothing new, at the small and the full size: wall time and requests."""

from __future__ import annotations

import statistics

from bench_suite.figures import FLAT_GROWTH, FLAT_TIME_SLACK, flat, met, ms, ratio
from bench_suite.report import Row


def add_size_rows(bench, size):
    """(c)'s checks and figures at one size, from (b)'s syncs with nothing new; the row of the small size."""
    r = bench.size_results[size]
    noop_wall = statistics.median(m.seconds for m in r["noop"])
    requests = ", ".join(str(n) for n in sorted({m.json().get("requests") for m in r["noop"]}))
    for m in r["noop"]:
        report = m.json()
        bench.report.check(report.get("pushed") == 0 and report.get("pulled") == 0,
                           f"(c) a sync with nothing new at {r['changes']:,} changes moved something: {report}")
    r["noop_wall"], r["noop_requests"] = noop_wall, requests
    label = f"at {r['changes']:,} changes"
    if size == "small":
        bench.report.add(Row("(c)", f"sync with nothing new, {label}", ms(noop_wall),
                             note=f"median of {len(r['noop'])} `gloss sync` processes; requests {requests}",
                             bound="process start-up, opening the store and one HTTP round trip"))


def add_flatness_rows(bench):
    """(c) at the full size against the small size."""
    small, full = bench.size_results.get("small"), bench.size_results.get("full")
    if not (small and full):
        return
    wall_flat = flat(small["noop_wall"], full["noop_wall"], FLAT_TIME_SLACK)
    requests_flat = full["noop_requests"] == small["noop_requests"]
    bench.report.add(Row(
        "(c)", f"sync with nothing new, at {full['changes']:,} changes", ms(full["noop_wall"]),
        baseline=f"{ms(small['noop_wall'])} at {small['changes']:,}",
        ratio=ratio(full["noop_wall"], small["noop_wall"]),
        target="flat", status=met(wall_flat),
        note=f"median of {len(full['noop'])}; flat = ≤ {FLAT_GROWTH:g}× the small size + 10 ms",
        bound="as above: nothing in it should scale with the corpus"))
    bench.report.add(Row(
        "(c)", "requests of a sync with nothing new (small → full)",
        f"{full['noop_requests']}", baseline=f"{small['noop_requests']}", target="flat",
        status=met(requests_flat), note="from `gloss sync --json` (\"requests\")",
        bound="one pull request that answers an empty page"))
