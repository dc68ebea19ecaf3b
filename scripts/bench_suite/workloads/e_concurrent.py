"""(e) concurrent clients pushing then pulling everything: throughput, latency, losses."""

from __future__ import annotations

import hashlib
import os
import time

from bench_suite.corpora import export_ids, gen_corpus, jsonl_ids
from bench_suite.figures import CORES, met, secs
from bench_suite.measure import parallel
from bench_suite.metrics import histogram_buckets, quantile_text
from bench_suite.report import Row, log
from bench_suite.servers import ServerSet
from glossproc.server import Storage


def concurrent_workload(bench):
    s = bench.sizes
    n, per = s.clients, s.client_changes
    jsonls = parallel([lambda i=i: gen_corpus(bench.path(f"client-{i}.jsonl"), 1, per - 1, 1000 + i)
                       for i in range(n)])
    expected = sorted(set().union(*(jsonl_ids(path) for path in jsonls)))
    bench.report.check(len(expected) == n * per, f"(e) the generated corpora share ids: {len(expected)} "
                                                f"distinct of {n * per}")
    replicas = [bench.path(f"client-{i}.gloss") for i in range(n)]
    parallel([lambda i=i: prepare_client(bench, replicas[i], jsonls[i], f"client{i:02d}", per) for i in range(n)])
    with ServerSet(bench, Storage(data_dir=bench.path("server-concurrent")), 1, "server-concurrent") as (server,):
        for i, replica in enumerate(replicas):
            bench.gloss.remote_set(replica, server.url, server.token(f"user{i:02d}"))
        log(f"(e) {n} clients syncing")
        began = time.perf_counter()
        first = parallel([lambda r=r: bench.gloss.sync(r) for r in replicas])   # push, pull what is there
        log(f"(e) every client pushed; {n} clients syncing again")
        second = parallel([lambda r=r: bench.gloss.sync(r) for r in replicas])  # after every push: the rest
        wall = time.perf_counter() - began
        metrics = server.metrics()
        stored = server.stored_changes()
    log("(e) checking")
    reports = [m.json() for m in first + second]
    pushed = sum(r.get("pushed", 0) for r in reports)
    pulled = sum(r.get("pulled", 0) for r in reports)
    requests = sum(r.get("requests", 0) for r in reports)
    lost, duplicated = count_lost_and_duplicated(bench, replicas, expected, stored)
    bench.report.check(pushed == n * per, f"(e) the clients pushed {pushed} changes, expected {n * per}")
    buckets = histogram_buckets(metrics, "gloss_request_duration_seconds")
    p50, p99 = quantile_text(0.5, buckets), quantile_text(0.99, buckets)
    bench.report.add(Row(
        "(e)", f"{n} concurrent clients × {per:,} changes: push then pull everything",
        f"{(pushed + pulled) / wall:,.0f} changes/s",
        note=f"{pushed:,} pushed + {pulled:,} pulled (as `gloss sync --json` reports them) in {secs(wall)}; "
             f"{requests} requests; every client syncs once, then once more after all have pushed",
        bound=f"{CORES} cores shared by {n} client processes and the server; the server's single SQLite "
              "writer serialises pushes"))
    bench.report.add(Row(
        "(e)", "request latency p50 / p99", f"{p50} / {p99}",
        note=f"server-side, /metrics gloss_request_duration_seconds over {int(buckets[-1][1]) if buckets else 0} "
             "requests (push and pull), quantiles interpolated linearly inside buckets as "
             "Prometheus' histogram_quantile does (bucket bounds 5 ms … 10 s)",
        bound=f"pushes queue behind the one SQLite writer; CPU contention with {n} client processes"))
    bench.report.add(Row(
        "(e)", "changes lost / duplicated", f"{lost} / {duplicated}", target="0 / 0",
        status=met(lost == 0 and duplicated == 0),
        note=f"server holds {stored:,} (expected {n * per:,}); checked: every replica's export holds each of "
             f"the {n} articles and {n * (per - 1):,} annotations exactly once, and all exports are byte-identical",
        bound="correctness, not speed"))


def prepare_client(bench, replica, jsonl, name, changes):
    bench.gloss.init(replica, name)
    bench.gloss.import_checked(jsonl, replica, 1, changes - 1, bench.report)


def count_lost_and_duplicated(bench, replicas, expected, stored):
    """Lost: expected ids missing from the server count or from a replica's export;
    duplicated: extra server changes or ids exported twice. Also checks exports match."""
    lost = max(0, len(expected) - stored)
    duplicated = max(0, stored - len(expected))
    expected_ids = set(expected)
    name = os.path.basename
    digests = []
    for replica in replicas:
        text = bench.gloss.export_jsonl(replica)
        digests.append(hashlib.sha256(text.encode()).hexdigest())
        ids = export_ids(text)
        lost += len(expected_ids - set(ids))
        duplicated += len(ids) - len(set(ids))
        bench.report.check(set(ids) <= expected_ids, f"(e) {name(replica)} holds ids no client made: "
                                                    f"{sorted(set(ids) - expected_ids)[:5]}")
    bench.report.check(stored == len(expected), f"(e) the server holds {stored} changes, expected {len(expected)}")
    bench.report.check(lost == 0 and duplicated == 0, f"(e) {lost} changes lost, {duplicated} duplicated")
    for replica, digest in zip(replicas[1:], digests[1:], strict=True):
        bench.report.check(digest == digests[0], f"(e) {name(replica)} exports different bytes from "
                                                f"{name(replicas[0])}")
    return lost, duplicated
