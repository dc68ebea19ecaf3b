"""Reading the server's /metrics (Prometheus text): counters and histogram quantiles."""

from __future__ import annotations

import re

from bench_suite.figures import ms

LABELS = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def metric_samples(text, name):
    """(labels dict, value) of every sample of metric `name`."""
    samples = []
    for line in text.splitlines():
        match = re.match(rf"{re.escape(name)}(?:\{{(.*)\}})?\s+(\S+)$", line)
        if match:
            samples.append((dict(LABELS.findall(match.group(1) or "")), float(match.group(2))))
    return samples


def counter_total(text, name):
    return sum(value for _, value in metric_samples(text, name))


def histogram_buckets(text, name):
    """Cumulative (upper bound, count) pairs summed over every route but /metrics."""
    sums = {}
    for labels, value in metric_samples(text, name + "_bucket"):
        if labels.get("route") == "/metrics":
            continue
        bound = float("inf") if labels["le"] == "+Inf" else float(labels["le"])
        sums[bound] = sums.get(bound, 0) + value
    return sorted(sums.items())


def quantile_text(q, buckets):
    """The quantile in ms, or "> N ms" when it lies past the highest finite bucket bound."""
    value = histogram_quantile(q, buckets)
    finite = [bound for bound, _ in buckets if bound != float("inf")]
    if finite and value >= finite[-1] and buckets[-1][1] * q > dict(buckets).get(finite[-1], 0):
        return f"> {ms(finite[-1])} (past the top bucket)"
    return ms(value)


def histogram_quantile(q, buckets):
    """As Prometheus' histogram_quantile: find the bucket holding rank q·count and
    interpolate linearly inside it (the lowest bucket starts at 0; the +Inf bucket
    answers the highest finite bound)."""
    if not buckets or buckets[-1][1] == 0:
        return float("nan")
    rank = q * buckets[-1][1]
    previous_bound, previous_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return previous_bound
            if count == previous_count:
                return bound
            return previous_bound + (bound - previous_bound) * (rank - previous_count) / (count - previous_count)
        previous_bound, previous_count = bound, count
    return previous_bound
