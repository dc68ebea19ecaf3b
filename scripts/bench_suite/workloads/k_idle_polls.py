"""(k) idle cost of open long polls: the CPU and memory of one server (SQLite) holding
1,000 long polls that have nothing to answer, against the same server holding none."""

from __future__ import annotations

import resource
import selectors
import socket
import time
import urllib.parse

from bench_suite.figures import mib
from bench_suite.longpoll import CHANGES_PATH, parked_polls, wait_until_parked
from bench_suite.report import Row, WorkloadFailed, log
from bench_suite.servers import ServerSet
from glossproc.server import Storage


def idle_polls_workload(bench):
    s = bench.sizes
    polls, hold = s.idle_polls, s.idle_hold_seconds
    raise_open_files_limit(polls + 256)   # the server, started from here, inherits it
    with ServerSet(bench, Storage(data_dir=bench.path("server-idle")), 1, "server-idle") as (server,):
        token = server.token("poller")
        log(f"(k) the server idle with no poll for {hold} s")
        idle_cpu, idle_rss = hold_and_measure(server, hold)
        log(f"(k) opening {polls} long polls")
        sockets = open_polls(server.url, token, polls)
        try:
            gauge = wait_until_parked(server, polls, timeout=120)
            if not gauge:
                time.sleep(2)   # a server without the gauge: give every poll time to arrive
            log(f"(k) holding {polls} long polls for {hold} s")
            busy_cpu, busy_rss = hold_and_measure(server, hold)
            still = parked_polls(server)
            answered_early = answered(sockets, timeout=0)
            peak = server.peak_rss_kib()
            server.stop(bench.report)   # SIGTERM: a stopping server answers every parked poll at once
            answered_at_stop = answered(sockets, timeout=30)
        finally:
            for sock in sockets:
                sock.close()
    bench.report.check(answered_early == 0,
                       f"(k) {answered_early} of {polls} polls were answered while nothing changed")
    bench.report.check(still is None or still == polls, f"(k) {still} polls parked at the end of the hold, "
                                                        f"expected {polls}")
    bench.report.check(answered_at_stop == polls, f"(k) {answered_at_stop} of {polls} polls answered 200 when the "
                                                  "server stopped")
    per_poll = (busy_rss - idle_rss) / polls
    bench.report.add(Row(
        "(k)", f"server CPU while holding {polls:,} idle long polls, {hold} s", f"{busy_cpu:.2f} s",
        baseline=f"{idle_cpu:.2f} s with none", ratio="n/a (CPU seconds)",
        note="user + system CPU of the gloss-server process (/proc/PID/stat, 10 ms ticks) over the hold; the polls "
             "(`GET …/changes?after=0&wait=60` on an empty corpus, one connection each) were "
             + ("parked (gauge) before it began" if gauge else "sent 2 s before it began (this server has no gauge)"),
        bound="nothing runs for a parked poll but its deadline timer; with any parked, one re-check of the corpus's "
              "latest position per second"))
    bench.report.add(Row(
        "(k)", f"server RSS while holding {polls:,} idle long polls (peak)", f"{mib(busy_rss)} ({mib(peak)})",
        baseline=f"{mib(idle_rss)} with none", ratio="n/a (memory)",
        note=f"VmRSS at the end of the hold, VmHWM over the server's life; ≈ {per_poll:,.1f} KiB per poll "
             "(connection, request and waiter)",
        bound="per poll: a NIO channel with its buffers, the request's task and a parked waiter with a sleeping "
              "deadline task"))


def raise_open_files_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise WorkloadFailed(f"(k) needs {needed} open files; the hard limit is {hard} (ulimit -Hn)")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def rss_kib(server):
    with open(f"/proc/{server.process.process.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise WorkloadFailed("no VmRSS in /proc/PID/status")


def hold_and_measure(server, seconds):
    """CPU seconds the server used over `seconds` of doing nothing asked, and its RSS after."""
    before = server.cpu_seconds()
    time.sleep(seconds)
    return server.cpu_seconds() - before, rss_kib(server)


def open_polls(url, token, count):
    """`count` connections, each sending one long poll and reading nothing yet."""
    parts = urllib.parse.urlsplit(url)
    request = (f"GET {CHANGES_PATH}?after=0&wait=60 HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
               f"Authorization: Bearer {token}\r\nGloss-Protocol: 1\r\n\r\n").encode()
    sockets = []
    try:
        for _ in range(count):
            sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
            sock.sendall(request)
            sockets.append(sock)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def answered(sockets, timeout):
    """How many sockets hold a `200` answer, waiting up to `timeout` seconds for them all."""
    selector = selectors.DefaultSelector()
    pending = {}
    for sock in sockets:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        pending[sock] = b""
    ok = 0
    deadline = time.monotonic() + timeout
    while pending:
        events = selector.select(max(0.0, deadline - time.monotonic()))
        if not events:
            break
        for key, _ in events:
            sock = key.fileobj
            try:
                data = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            pending[sock] += data
            if b"\r\n" in pending[sock] or not data:
                ok += pending[sock].startswith(b"HTTP/1.1 200")
                selector.unregister(sock)
                del pending[sock]
    selector.close()
    return ok
