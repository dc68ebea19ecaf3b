"""Raw HTTP for the long-poll workloads (j) and (k): pushes of one change and long polls on
keep-alive connections, and the server's gauge of parked polls."""

from __future__ import annotations

import http.client
import json
import random
import secrets
import time
import urllib.parse

from bench_suite.client import CORPUS
from bench_suite.metrics import metric_samples
from bench_suite.report import WorkloadFailed

CHANGES_PATH = f"/v1/corpora/{CORPUS}/changes"
PARKED_GAUGE = "gloss_long_polls_waiting"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def headers(token):
    return {"Authorization": f"Bearer {token}", "Gloss-Protocol": "1", "Content-Type": "application/json"}


def new_replica(rng):
    """A replica id: 26 Crockford base32 characters, 128 bits (so the first is 0-7)."""
    return rng.choice("01234567") + "".join(rng.choice(CROCKFORD) for _ in range(25))


class Pusher:
    """One replica pushing one new article per push, over one keep-alive connection."""

    def __init__(self, url, token, seed):
        self.rng = random.Random(seed)
        self.replica = new_replica(self.rng)
        self.seq = 0
        self.connection = Connection(url)
        self.headers = headers(token)

    def push_one(self):
        """Pushes the next change; returns when its 200 answer has been read."""
        self.seq += 1
        text = f"Live delivery bench article {self.seq} of {self.replica}."
        change = {"clock": {self.replica: self.seq}, "content": {"date": "2016-12", "language": "en", "tags": [],
                                                                  "text": text, "title": f"Live {self.seq}"},
                  "entity": secrets.token_hex(16), "kind": "article", "op": "put", "replaces": [],
                  "replica": self.replica, "seq": self.seq, "time": f"{1764175246805 + self.seq}.0"}
        body = json.dumps({"replica": self.replica, "changes": [change]}).encode()
        status, answer = self.connection.request("POST", CHANGES_PATH, body, self.headers)
        if status != 200 or json.loads(answer).get("stored") != 1:
            raise WorkloadFailed(f"push {self.seq} answered {status}: {answer[:500]!r}")

    def close(self):
        self.connection.close()


class Connection:
    """One keep-alive HTTP/1.1 connection (reopened if the server closed it)."""

    def __init__(self, url, timeout=120):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.http = None

    def request(self, method, path, body=None, request_headers=None):
        """(status, body bytes)."""
        for attempt in range(2):
            if self.http is None:
                self.http = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.http.request(method, path, body=body, headers=request_headers or {})
                response = self.http.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()   # a keep-alive connection the server closed: once more on a new one
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.http is not None:
            self.http.close()
            self.http = None


def parked_polls(server):
    """The server's gauge of parked long polls, or None when it has none (a server from
    before live delivery, which re-queried every 200 ms instead)."""
    samples = metric_samples(server.metrics(), PARKED_GAUGE)
    return int(sum(value for _, value in samples)) if samples else None


def wait_until_parked(server, count, timeout=60):
    """Waits until `count` polls are parked on `server`; False when it has no gauge."""
    deadline = time.monotonic() + timeout
    while True:
        parked = parked_polls(server)
        if parked is None:
            return False
        if parked >= count:
            return True
        if time.monotonic() > deadline:
            raise WorkloadFailed(f"{parked} long polls parked on {server.url} after {timeout} s, expected {count}")
        time.sleep(0.002)
