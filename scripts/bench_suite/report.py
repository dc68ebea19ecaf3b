"""The figures and failed checks of a run, as rows; the progress log; the console table."""

from __future__ import annotations

import dataclasses
import os
import sys
import time

from glossproc.processes import ProcessError


@dataclasses.dataclass
class Row:
    """One line of the table: a figure, its baseline and target, and what bounds it."""

    key: str                 # workload letter, e.g. "(b)"
    figure: str
    measured: str
    baseline: str = "—"
    ratio: str = "—"
    target: str = "—"
    status: str = "—"
    note: str = ""
    bound: str = ""          # one line on what bounds the figure


class WorkloadFailed(ProcessError):
    """A command failed or a count was wrong; the message says which and how to reproduce."""


class Report:
    """A run's rows, failed checks and notes."""

    def __init__(self):
        self.rows = []
        self.failures = []
        self.notes = []
        self.started = time.monotonic()

    def add(self, row):
        self.rows.append(row)
        log(f"{row.key} {row.figure}: {row.measured}"
            + (f" (baseline {row.baseline}, ratio {row.ratio})" if row.baseline != "—" else ""))

    def check(self, condition, message):
        """Records a wrong count; the workload goes on so every wrong count gets reported."""
        if not condition:
            self.failures.append(message)
            log("CHECK FAILED: " + message)
        return condition


START = time.monotonic()
START_LOAD = os.getloadavg()[0]


def log(message):
    """Progress on stderr, with the seconds since the start."""
    print(f"[{time.monotonic() - START:7.1f}s] {message}", file=sys.stderr, flush=True)


def sorted_rows(report):
    """Rows in workload order (a) … (h), in the order measured within a workload."""
    return sorted(report.rows, key=lambda row: row.key)


def render_console(report, smoke):
    """The figures as plain text; with --smoke without targets, which tiny sizes cannot judge."""
    width = max((len(row.key + " " + row.figure) for row in report.rows), default=10)
    lines = [f"{(row.key + ' ' + row.figure):<{width}}  {row.measured:>22}  {row.baseline:>26}  {row.ratio:>8}  "
             + ("" if smoke else row.status) for row in sorted_rows(report)]
    if smoke:
        lines.append("(smoke sizes: only the counts were checked; the targets are judged by a full run)")
    return "\n".join(lines)
