"""(b) the first push of (a)'s replica and the first full pull into a fresh replica, at the
small and the full size (measuring (c) and (d) on the way)."""

from __future__ import annotations

from bench_suite.corpora import gen_corpus
from bench_suite.figures import CORES, PULL_TARGET_RATIO, cpu_share, met, ms, ratio, secs
from bench_suite.report import Row, WorkloadFailed
from bench_suite.servers import ServerSet
from bench_suite.workloads.c_noop_sync import add_size_rows
from glossproc.server import Storage


def push_pull_workload(bench, size):
    """First push of an imported replica and first full pull into a fresh replica, on a
    fresh server (so its VmHWM belongs to this size); then (c)'s syncs with nothing new."""
    s = bench.sizes
    if size == "full":
        if not bench.big_replica:
            raise WorkloadFailed("(a) did not leave an imported replica")
        replica, jsonl, changes = bench.big_replica, bench.big_jsonl, s.changes
    else:
        jsonl = gen_corpus(bench.path("corpus-small.jsonl"), s.small_articles, s.small_annotations, 2)
        replica, changes = bench.path("small-imported.gloss"), s.small_articles + s.small_annotations
        bench.gloss.init(replica, "importer")
        bench.gloss.import_checked(jsonl, replica, s.small_articles, s.small_annotations, bench.report)
    storage = Storage(data_dir=bench.path(f"server-{size}"))
    with ServerSet(bench, storage, 1, f"server-{size}") as (server,):
        token = server.token("pusher")
        bench.gloss.remote_set(replica, server.url, token)
        cpu0 = server.cpu_seconds()
        push = bench.gloss.sync(replica)
        cpu1 = server.cpu_seconds()
        puller = bench.path(f"pulled-{size}.gloss")
        setup = bench.gloss.fresh_replica(puller, server.url, server.token("puller"))
        pull = bench.gloss.sync(puller)
        cpu2 = server.cpu_seconds()
        server_hwm = server.peak_rss_kib()
        check_push_pull(bench, size, changes, push.json(), pull.json(), server, replica, puller)
        noop = [bench.gloss.sync(puller) for _ in range(s.noop_runs)]
    bench.size_results[size] = dict(
        changes=changes, push=push, pull=pull, pull_seconds=setup + pull.seconds, setup=setup,
        server_hwm=server_hwm, server_cpu_push=cpu1 - cpu0, server_cpu_pull=cpu2 - cpu1, noop=noop)
    if size == "full":
        add_push_pull_rows(bench)
    add_size_rows(bench, size)


def check_push_pull(bench, size, changes, pushed, pulled, server, replica, puller):
    label = f"(b) at {changes:,} changes"
    bench.report.check(pushed.get("pushed") == changes, f"{label}: first sync pushed {pushed}, expected {changes}")
    bench.report.check(pulled.get("pulled") == changes and pulled.get("applied") == changes,
                       f"{label}: the fresh replica's first sync reported {pulled}, expected {changes} "
                       "pulled and applied")
    stored = server.stored_changes()
    bench.report.check(stored == changes, f"{label}: the server holds {stored} changes, expected {changes}")
    same = bench.gloss.export_jsonl(replica) == bench.gloss.export_jsonl(puller)
    bench.report.check(same, f"{label}: the pulled replica's `gloss export --format jsonl` differs "
                            "from the pushing replica's")


def add_push_pull_rows(bench):
    r, raw = bench.size_results["full"], bench.raw_insert
    push, pull = r["push"], r["pull"]
    pushed = push.json()
    bench.report.add(Row(
        "(b)", f"first push of {r['changes']:,} changes to gloss-server (embedded SQLite)",
        secs(push.seconds), baseline=f"{secs(raw)} (a) raw insert", ratio=ratio(push.seconds, raw),
        note=f"the first `gloss sync` of the imported replica: {pushed.get('requests')} requests (batches of "
             f"≤1,000, then pull pages); pulled {pushed.get('pulled', 0):,}, applied {pushed.get('applied')}",
        bound=f"client CPU {cpu_share(push.cpu, push.seconds)}, server CPU "
              f"{cpu_share(r['server_cpu_push'], push.seconds)} of wall ({CORES} cores): the server stores "
              "each batch of 1,000 with its frontier merge in one transaction"))
    limit = PULL_TARGET_RATIO * raw
    bench.report.add(Row(
        "(b)", f"first full pull of {r['changes']:,} changes into a fresh replica",
        secs(r["pull_seconds"]), baseline=f"{secs(raw)} (a) raw insert",
        ratio=ratio(r["pull_seconds"], raw), target=f"≤ {PULL_TARGET_RATIO:g}× raw insert",
        status=met(r["pull_seconds"] <= limit),
        note=f"gloss init + remote set ({ms(r['setup'])}) + `gloss sync` ({secs(pull.seconds)}, "
             f"{pull.json().get('requests')} requests of ≤1,000 changes)",
        bound=f"client CPU {cpu_share(pull.cpu, pull.seconds)}, server CPU "
              f"{cpu_share(r['server_cpu_pull'], pull.seconds)} of wall: two client threads, one fetching "
              "and preparing the next page (parse, validate, fold) while the other writes this one, new "
              "entities' first versions table by table (log, entities, frontier, rows, FTS5) in one "
              "transaction per page: SQLite's inserts"))
