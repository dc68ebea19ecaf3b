"""(j) live delivery: from a push's acknowledgement to a waiting puller's page, p50/p99,
on 1 server (SQLite) and 2 servers (PostgreSQL: puller on one, pusher on the other)."""

from __future__ import annotations

import json
import os
import random
import threading
import time

from bench_suite.figures import CORES, met, ms, percentile
from bench_suite.longpoll import CHANGES_PATH, Connection, Pusher, headers, wait_until_parked
from bench_suite.report import Row, WorkloadFailed, log
from bench_suite.servers import ServerSet
from glossproc.processes import ProcessError
from glossproc.server import Storage

TARGET_P99 = 0.050   # seconds, on loopback (issue #19)


def live_delivery_workload(bench):
    configurations = [("SQLite, 1 server", None, 1)]
    if bench.postgres:
        configurations.append(("PostgreSQL, 2 servers", "live_pg2", 2))
    else:
        bench.report.notes.append(f"(j) PostgreSQL row skipped: {bench.postgres_skip_reason}.")
    for name, database, servers in configurations:
        try:   # one configuration failing leaves the other's row
            latencies, sent, unparked = live_delivery_run(bench, name, database, servers)
        except ProcessError as error:   # WorkloadFailed, or a command that failed
            bench.report.failures.append(f"(j) {name}: {error}")
            log(f"(j) {name} FAILED: {error}")
            continue
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        where = "puller and pusher on the one server" if servers == 1 else "puller on one server, pusher on the other"
        how = ("each round starts once the puller's server shows the poll parked (gauge gloss_long_polls_waiting)"
               if not unparked else f"this server has no parked-poll gauge: each push waited a random 250–450 ms "
                                    f"after the poll was sent ({unparked} rounds)")
        bench.report.add(Row(
            "(j)", f"push acknowledged → waiting puller's page, p50 / p99 — {name}", f"{ms(p50)} / {ms(p99)}",
            baseline="—", ratio="n/a (a latency)", target=f"p99 ≤ {ms(TARGET_P99)}",
            status=met(p99 <= TARGET_P99),
            note=f"{len(latencies)} rounds, {where}: a poll `GET …/changes?after=CURSOR&wait=30` waits, one change is "
                 f"pushed, time from reading the push's 200 to reading the poll's 200 (keep-alive connections, "
                 f"loopback; ≤ 0 when the page came first); {how}; push sent → page: p50 {ms(percentile(sent, 0.5))}, "
                 f"p99 {ms(percentile(sent, 0.99))}",
            bound=("the push's commit, then an in-process wake and one page read" if servers == 1 else
                   "the push's commit, PostgreSQL delivering NOTIFY to the other server's LISTEN connection, then one "
                   "page read there") + f"; {CORES} cores shared with the bench and PostgreSQL"))


def live_delivery_run(bench, name, database, count):
    """(ack → page latencies, push sent → page latencies, rounds without a gauge) in seconds."""
    rounds = bench.sizes.live_rounds
    storage = (Storage(postgres_url=bench.postgres.create_database(f"gloss_bench_{os.getpid()}_{database}"))
               if database else Storage(data_dir=bench.path("server-live-sqlite")))
    slug = database or "live_sqlite"
    with ServerSet(bench, storage, count, f"server-{slug}") as servers:
        pull_server, push_server = servers[-1], servers[0]
        pusher = Pusher(push_server.url, push_server.token("pusher"), seed=19)
        poller = Connection(pull_server.url)
        poll_headers = headers(pull_server.token("puller"))
        rng = random.Random(6)
        cursor, acked_to_page, sent_to_page, unparked = 0, [], [], 0
        log(f"(j) {name}: {rounds} rounds")
        for round_number in range(rounds):
            answer = {}

            def poll(after=cursor, answer=answer):
                try:
                    answer["status"], answer["body"] = poller.request(
                        "GET", f"{CHANGES_PATH}?after={after}&wait=30", None, poll_headers)
                except Exception as error:   # reported by the round below
                    answer["error"] = error
                answer["at"] = time.perf_counter()

            thread = threading.Thread(target=poll, daemon=True)
            thread.start()
            if not wait_until_parked(pull_server, 1):
                unparked += 1   # a server without the gauge: give its re-query loop a random phase
                time.sleep(rng.uniform(0.25, 0.45))
            sent = time.perf_counter()
            pusher.push_one()
            acked = time.perf_counter()
            thread.join(timeout=60)
            if thread.is_alive() or "error" in answer or answer.get("status") != 200:
                raise WorkloadFailed(f"(j) {name}: round {round_number}: the poll answered "
                                     f"{answer.get('status')} {answer.get('error') or answer.get('body', b'')[:300]!r}")
            page = json.loads(answer["body"])
            bench.report.check(len(page.get("changes", [])) == 1 and page.get("cursor") == cursor + 1,
                               f"(j) {name}: round {round_number}: the poll's page holds "
                               f"{len(page.get('changes', []))} changes, cursor {page.get('cursor')}; expected the "
                               f"one pushed, cursor {cursor + 1}")
            cursor = page.get("cursor", cursor + 1)
            acked_to_page.append(answer["at"] - acked)
            sent_to_page.append(answer["at"] - sent)
        pusher.close()
        poller.close()
        stored = servers[0].stored_changes()
    bench.report.check(stored == rounds, f"(j) {name}: the server holds {stored} changes, expected {rounds}")
    return acked_to_page, sent_to_page, unparked
