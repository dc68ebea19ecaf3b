"""(d) peak RSS of client and server during (b), at the small and the full size."""

from __future__ import annotations

from bench_suite.baseline import GLOSS_CACHE_SIZE, cache_text
from bench_suite.figures import FLAT_GROWTH, RSS_TARGET_MIB, flat, met, mib, ratio
from bench_suite.report import Row


def add_rows(bench):
    """(d)'s rows: each peak at both sizes, the full size against the small one."""
    small, full = bench.size_results.get("small"), bench.size_results.get("full")
    if not (small and full):
        return
    for what, key, bound in (
            ("client peak RSS, first push", lambda r: r["push"].maxrss_kib,
             "batches of ≤1,000 changes / 1 MiB are read and sent one at a time"),
            ("client peak RSS, full pull", lambda r: r["pull"].maxrss_kib,
             f"pages of ≤1,000 changes / 1 MiB, two in flight; SQLite's page cache is capped at "
             f"{cache_text(GLOSS_CACHE_SIZE)}"),
            ("server peak RSS (VmHWM), push + pull", lambda r: r["server_hwm"],
             "request bodies (batches of ≤1 MiB), pages of ≤1 MiB, SQLite caches and the NIO/Swift runtime "
             "(~38 MiB at start, mostly mapped libraries)")):
        for size, r in (("small", small), ("full", full)):
            value = key(r)
            status = f"≤{RSS_TARGET_MIB} MiB: {met(value <= RSS_TARGET_MIB * 1024)}"
            row = Row("(d)", f"{what}, at {r['changes']:,} changes", mib(value),
                      target=f"≤ {RSS_TARGET_MIB} MiB, flat", bound=bound)
            if size == "full":
                row.baseline = f"{mib(key(small))} at {small['changes']:,}"
                row.ratio = ratio(value, key(small))
                status += f"; flat: {met(flat(key(small), value))}"
                row.note = f"flat = ≤ {FLAT_GROWTH:g}× the small size"
            row.status = status
            bench.report.add(row)
