"""gloss-server processes of a workload, on SQLite or PostgreSQL; all stopped when it ends."""

from __future__ import annotations

import os
import re

from bench_suite.client import CORPUS
from bench_suite.report import WorkloadFailed
from glossproc.server import ServerAdmin, ServerProcess

# Background snapshot builds off (`serve` builds one every 10,000 new changes by default):
# the push and pull figures measure syncing, and (l) measures snapshot builds on their own
# with `gloss-server snapshot create`.
SERVE_ARGS = ("--log-level", "warning", "--snapshot-every", "0")


class Server:
    """One gloss-server of a workload: admin commands on the bench corpus, and its `serve`
    process (stdout and stderr in NAME.out and NAME.err of the temporary folder)."""

    def __init__(self, bin_dir, storage, log_dir, name, extra_args=()):
        executable = os.path.join(bin_dir, "gloss-server")
        self.admin = ServerAdmin(executable, storage)
        self.process = ServerProcess(executable, storage, os.path.join(log_dir, f"{name}.out"),
                                     os.path.join(log_dir, f"{name}.err"), extra_args=(*SERVE_ARGS, *extra_args))
        self.stopped = False

    @property
    def url(self):
        return self.process.url

    def create_corpus(self):
        self.admin.create_corpus(CORPUS)

    def token(self, user):
        return self.admin.create_token(CORPUS, user, "write")

    def stored_changes(self):
        """The corpus's change count from `gloss-server corpus list`."""
        listing = self.admin.run("corpus", "list").stdout
        for line in listing.splitlines():
            match = re.match(rf"{CORPUS}\s+(\d+) changes", line)
            if match:
                return int(match.group(1))
        raise WorkloadFailed(f"`gloss-server corpus list` does not list corpus {CORPUS}: {listing!r}")

    def start(self):
        self.process.start(timeout=60)
        return self

    def peak_rss_kib(self):
        """VmHWM: the server process's peak resident set so far."""
        kib = self.process.peak_rss_kib()
        if kib is None:
            raise WorkloadFailed("no VmHWM in /proc/PID/status")
        return kib

    def cpu_seconds(self):
        return self.process.cpu_seconds()

    def metrics(self):
        return self.process.get("/metrics")

    def stop(self, report):
        """SIGTERM, which must stop it with exit status 0."""
        if self.process.process is None or self.stopped:
            return
        self.stopped = True
        code, _ = self.process.stop(timeout=30)
        if code is None:
            report.check(False, f"gloss-server ({self.url}) did not stop within 30 s of SIGTERM")
            code = self.process.returncode   # killed
        report.check(code == 0, f"gloss-server ({self.url}) exited {code} on SIGTERM: {self.process.log_tail()}")


class ServerSet:
    """Starts servers on one storage and stops them all when the block ends; `extra_args` go
    to each `serve` after SERVE_ARGS."""

    def __init__(self, bench, storage, count, name, extra_args=()):
        self.bench = bench
        self.servers = [Server(bench.bin_dir, storage, bench.tmp, f"{name}-{i}", extra_args) for i in range(count)]

    def __enter__(self):
        try:
            self.servers[0].create_corpus()
            for server in self.servers:
                server.start()
        except BaseException:
            self.__exit__()
            raise
        return self.servers

    def __exit__(self, *exc):
        for server in self.servers:
            server.stop(self.bench.report)
