"""Turning measurements into the table's text: units, ratios, percentiles, targets met."""

from __future__ import annotations

import os

MIB = 1024 * 1024
RSS_TARGET_MIB = 64
PULL_TARGET_RATIO = 3.0
FLAT_GROWTH = 1.25        # "flat": the full-size figure at most 25% above the small-size one
FLAT_TIME_SLACK = 0.010   # plus 10 ms for timings, which are noisy at that scale
CORES = os.cpu_count()


def percentile(values, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ms(seconds):
    return f"{seconds * 1000:,.1f} ms"


def secs(seconds):
    return f"{seconds:,.2f} s"


def mib(kib):
    return f"{kib / 1024:,.1f} MiB"


def ratio(value, baseline):
    return f"{value / baseline:,.2f}×" if baseline else "—"


def met(condition):
    return "met" if condition else "**not met**"


def flat(small, full, slack=0.0):
    return full <= small * FLAT_GROWTH + slack


def cpu_share(cpu, wall):
    return f"{cpu / wall:.0%}" if wall > 0 else "—"
