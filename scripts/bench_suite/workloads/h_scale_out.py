"""(h) scale-out: push and pull throughput of 1 server on SQLite, 1 and 2 on PostgreSQL."""

from __future__ import annotations

import os
import threading
import time

from bench_suite.corpora import copy_store, gen_corpus
from bench_suite.figures import CORES, ratio
from bench_suite.measure import parallel
from bench_suite.metrics import counter_total
from bench_suite.report import Row, WorkloadFailed, log
from bench_suite.servers import ServerSet
from glossproc.processes import ProcessError
from glossproc.server import Storage


def scale_out_workload(bench):
    s = bench.sizes
    per = s.scale_articles + s.scale_annotations
    templates = parallel([lambda i=i: scale_template(bench, i) for i in range(2)])
    configurations = [("SQLite, 1 server", None, 1)]
    if bench.postgres:
        configurations += [("PostgreSQL, 1 server", "pg1", 1), ("PostgreSQL, 2 servers", "pg2", 2)]
    else:
        bench.report.notes.append(f"(h) PostgreSQL rows skipped: {bench.postgres_skip_reason}.")
    results = {}
    for name, database, servers in configurations:
        try:   # one configuration failing leaves the others' rows
            results[name] = scale_out_run(bench, name, database, servers, templates, per)
        except ProcessError as error:   # WorkloadFailed, or a command that failed
            bench.report.failures.append(f"(h) {name}: {error}")
            log(f"(h) {name} FAILED: {error}")
    sqlite_push, sqlite_pull = results.get("SQLite, 1 server", (0, 0))
    for name, (push_rate, pull_rate) in results.items():
        base = name != "SQLite, 1 server" and sqlite_push > 0
        bench.report.add(Row(
            "(h)", f"push, 2 replicas × {per:,} changes at once — {name}", f"{push_rate:,.0f} changes/s",
            baseline=f"{sqlite_push:,.0f}/s SQLite" if base else "—",
            ratio=ratio(push_rate, sqlite_push) if base else "—",
            note="changes / time until the servers' gloss_changes_stored_total reached them all (polled every "
                 "50 ms); each replica to its own server when there are two",
            bound=scale_bound(name, "push")))
        bench.report.add(Row(
            "(h)", f"pull, 2 fresh replicas pulling {2 * per:,} each at once — {name}", f"{pull_rate:,.0f} changes/s",
            baseline=f"{sqlite_pull:,.0f}/s SQLite" if base else "—",
            ratio=ratio(pull_rate, sqlite_pull) if base else "—",
            note="changes pulled by both / wall time of the two concurrent `gloss sync`",
            bound=scale_bound(name, "pull")))


def scale_template(bench, number):
    """A replica holding its own generated changes, copied for each configuration."""
    s = bench.sizes
    jsonl = gen_corpus(bench.path(f"scale-{number}.jsonl"), s.scale_articles, s.scale_annotations, 2000 + number)
    template = bench.path(f"scale-template-{number}.gloss")
    bench.gloss.init(template, f"scaler{number}")
    bench.gloss.import_checked(jsonl, template, s.scale_articles, s.scale_annotations, bench.report)
    return template


def scale_bound(name, direction):
    if direction == "pull":
        return f"the two clients applying pages (client CPU) on the same {CORES} cores as the server(s)"
    if name.startswith("SQLite"):
        return f"one SQLite writer: pushes serialise; the {CORES} cores also run the clients"
    return (f"PostgreSQL's row lock on the corpus position counter serialises pushes; {CORES} cores for "
            "the clients, the server(s) and PostgreSQL")


def scale_out_run(bench, name, database, servers, templates, per):
    storage = (Storage(postgres_url=bench.postgres.create_database(f"gloss_bench_{os.getpid()}_{database}"))
               if database else Storage(data_dir=bench.path("server-scale-sqlite")))
    slug = database or "sqlite"
    with ServerSet(bench, storage, servers, f"server-scale-{slug}") as running:
        pushers = [bench.path(f"scale-{slug}-push-{i}.gloss") for i in range(2)]
        for i, pusher in enumerate(pushers):
            copy_store(templates[i], pusher)
            bench.gloss.remote_set(pusher, running[i % servers].url, running[0].token(f"pusher{i}"))
        log(f"(h) {name}: pushing")
        push_seconds, push_reports = timed_push(bench, running, pushers, 2 * per)
        log(f"(h) {name}: pulling")
        pullers = [bench.path(f"scale-{slug}-pull-{i}.gloss") for i in range(2)]
        for i, puller in enumerate(pullers):
            bench.gloss.fresh_replica(puller, running[i % servers].url, running[0].token(f"puller{i}"))
        began = time.perf_counter()
        pulls = parallel([lambda p=p: bench.gloss.sync(p) for p in pullers])
        pull_seconds = time.perf_counter() - began
        log(f"(h) {name}: checking")
        stored = running[0].stored_changes()
        exports = [bench.gloss.export_jsonl(p) for p in pullers]
    pulled = sum(m.json().get("pulled", 0) for m in pulls)
    bench.report.check(sum(r.get("pushed", 0) for r in push_reports) == 2 * per,
                       f"(h) {name}: pushed {push_reports}, expected {per} each")
    bench.report.check(stored == 2 * per, f"(h) {name}: the server holds {stored} changes, expected {2 * per}")
    bench.report.check(pulled == 4 * per, f"(h) {name}: the fresh replicas pulled {pulled}, expected {2 * per} each")
    bench.report.check(exports[0] == exports[1] and len(exports[0].splitlines()) == 2 * per,
                       f"(h) {name}: the two pulled replicas' exports differ or miss changes")
    return 2 * per / push_seconds, pulled / pull_seconds


def timed_push(bench, servers, pushers, total):
    """Both replicas sync at once; the push time is when the servers have stored every
    change (each sync then goes on to pull)."""
    done = threading.Event()
    stored_at, errors = [], []

    def stored():
        return sum(counter_total(s.metrics(), "gloss_changes_stored_total") for s in servers)

    def watch():
        try:
            while True:
                last_round = done.is_set()
                if stored() >= total:
                    stored_at.append(time.perf_counter())
                    return
                if last_round:
                    return
                time.sleep(0.05)
        except Exception as error:   # reported below if the time was not taken
            errors.append(error)

    watcher = threading.Thread(target=watch, daemon=True)
    began = time.perf_counter()
    watcher.start()
    try:
        syncs = parallel([lambda p=p: bench.gloss.sync(p) for p in pushers])
    finally:
        done.set()
        watcher.join(timeout=30)
    if not stored_at:
        raise WorkloadFailed(f"the servers' gloss_changes_stored_total reached {stored()}, expected {total}"
                             + (f" ({errors[0]!r} while polling /metrics)" if errors else ""))
    return stored_at[0] - began, [m.json() for m in syncs]
