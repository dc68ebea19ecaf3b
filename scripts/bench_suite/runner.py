"""The run: which workloads, their shared state, and running each so that one failing
leaves the others' rows."""

from __future__ import annotations

import os
import re
import sys
import traceback

from bench_suite.client import Gloss
from bench_suite.postgres import Postgres
from bench_suite.report import Report, log
from bench_suite.workloads import (
    a_import,
    b_push_pull,
    c_noop_sync,
    d_memory,
    e_concurrent,
    f_annotate,
    g_search,
    h_scale_out,
    i_anchoring,
    j_live_delivery,
    k_idle_polls,
    l_new_device,
    m_compaction,
)
from glossproc.processes import ProcessError

WORKLOADS = "abcdefghijklm"
# What each workload needs run with it: (b)-(d) and (f) use (a)'s imported replica and raw insert.
NEEDS = {"b": "a", "c": "ab", "d": "ab", "f": "a"}


class Bench:
    """What the workloads share: options, sizes, binaries, the temporary folder, the report,
    and what one workload leaves for the next ((a)'s replica, its raw insert time, (b)'s
    measurements per size)."""

    def __init__(self, args, sizes, bin_dir, tmp):
        self.args = args
        self.sizes = sizes
        self.smoke = args.smoke
        self.bin_dir = bin_dir
        self.tmp = tmp
        self.gloss = Gloss(bin_dir)
        self.report = Report()
        self.postgres, self.postgres_skip_reason = Postgres.from_environment()
        self.big_jsonl = None
        self.big_replica = None       # (a)'s imported replica, reused by (b) and (f)
        self.raw_insert = None        # (a)'s baseline seconds, used by (b)
        self.size_results = {}        # (c) and (d) per size: "small" / "full"
        self.ran = workloads_to_run(args.only)   # the workload letters this run measures

    def path(self, name):
        return os.path.join(self.tmp, name)

    def workload(self, key, function):
        """Runs one workload; a failure is recorded and the next workload still runs."""
        log(f"{key} starting")
        try:
            function()
        except ProcessError as error:   # WorkloadFailed, or a command that failed
            self.report.failures.append(f"{key}: {error}")
            log(f"{key} FAILED: {error}")
        except Exception as error:   # a bench bug or an unexpected answer: report it, go on
            self.report.failures.append(f"{key}: {type(error).__name__}: {error}")
            log(f"{key} FAILED: {traceback.format_exc()}")

    def run_all(self):
        """The workloads that this run measures, in an order that lets (b)-(d) and (f) use
        (a)'s replica."""
        ran = self.ran
        if "a" in ran:
            self.workload("(a)", lambda: a_import.import_workload(self))
        if "b" in ran:
            self.workload("(b)/(c)/(d) small", lambda: b_push_pull.push_pull_workload(self, "small"))
            self.workload("(b)/(c)/(d) full", lambda: b_push_pull.push_pull_workload(self, "full"))
            c_noop_sync.add_flatness_rows(self)
            d_memory.add_rows(self)
        if "f" in ran:
            self.workload("(f)", lambda: f_annotate.annotate_workload(self))
        if "e" in ran:
            self.workload("(e)", lambda: e_concurrent.concurrent_workload(self))
        if "g" in ran:
            self.workload("(g)", lambda: g_search.search_workload(self))
        if "h" in ran:
            self.workload("(h)", lambda: h_scale_out.scale_out_workload(self))
        if "i" in ran:
            self.workload("(i)", lambda: i_anchoring.anchoring_workload(self))
        if "j" in ran:
            self.workload("(j)", lambda: j_live_delivery.live_delivery_workload(self))
        if "k" in ran:
            self.workload("(k)", lambda: k_idle_polls.idle_polls_workload(self))
        if "l" in ran:
            self.workload("(l)", lambda: l_new_device.new_device_workload(self))
        if "m" in ran:
            self.workload("(m)", lambda: m_compaction.compaction_workload(self))


def workloads_to_run(only):
    """The workload letters a run measures: all, or those --only names with what they need."""
    if not only:
        return set(WORKLOADS)
    letters = set(re.sub(r"[\s,()]", "", only).lower())
    unknown = letters - set(WORKLOADS)
    if unknown or not letters:
        sys.exit(f"bench: --only takes workload letters among {', '.join(WORKLOADS)} (got {only!r})")
    for letter in list(letters):
        letters.update(NEEDS.get(letter, ""))
    if letters & set("bcd"):
        letters.update("bcd")   # one workload measures (b), (c) and (d) together
    return letters


def row_keys(letters):
    return [f"({letter})" for letter in WORKLOADS if letter in letters]
