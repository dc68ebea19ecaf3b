"""The state every phase shares: the server process, tokens, request counters, failures,
and requests sent with the standard checks applied."""

from __future__ import annotations

import argparse
import collections
import random
import subprocess
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fuzz_suite.bodies import encode, gzip_bytes
from fuzz_suite.checks import describe_answer, expect_status, page_problem, standard_problems
from fuzz_suite.rawhttp import Answer, Client, Request
from fuzz_suite.spec import CHANGES, REPO
from glossproc import processes
from glossproc.processes import ProcessError
from glossproc.server import ServerAdmin, ServerProcess, Storage

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass
class Failure:
    """One distinct failure: its title, the first example, how often it happened and in which variants."""

    title: str
    example: str
    count: int = 1
    variants: list[str] = field(default_factory=list)


class Run:
    """State shared by all phases."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.bin_dir = resolve_bin_dir(args.bin_dir)
        self.tmp = Path(tempfile.mkdtemp(prefix="gloss-fuzz-"))
        self.data = self.tmp / "data"
        self.store = self.tmp / "replica.gloss"
        self.port = 0
        self.storage = Storage(data_dir=str(self.data))
        self.admin = ServerAdmin(self.bin_dir / "gloss-server", self.storage, timeout=60)
        self.server: ServerProcess | None = None
        self.server_log = self.tmp / "server.log"
        self.tokens: dict[str, str] = {}  # name -> secret
        self.users: dict[str, str] = {}  # name -> user
        self.phase = "setup"
        self.sent: collections.Counter[str] = collections.Counter()
        self.statuses: collections.Counter[str] = collections.Counter()
        self.failures: dict[tuple, Failure] = {}
        self.notes: list[str] = []
        self.ids = random.Random(args.seed)
        self.lock = threading.Lock()
        self.before: list[dict] = []
        self.article: dict = {}
        self.annotations: list[dict] = []  # seeded annotation changes (latest versions)
        self.seed_replica = ""
        self.acked: dict[tuple[str, int], dict | None] = {}  # dot -> expected change (None: presence only)
        self.epochs: dict[str, str] = {}  # corpus -> the epoch its pulls report
        self.client = Client(self)

    # -- bookkeeping --

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def count_request(self) -> None:
        with self.lock:
            self.sent[self.phase] += 1

    def count_status(self, status: int | str) -> None:
        with self.lock:
            self.statuses[str(status)] += 1

    def labels(self) -> dict[str, str]:
        return {secret: f"<token:{name}>" for name, secret in self.tokens.items()}

    def fail(self, key: tuple, title: str, details: str, variant: str | None = None) -> None:
        """Records a failure; failures with the same key are counted once, with the
        first example kept."""
        with self.lock:
            failure = self.failures.get(key)
            if failure is None:
                failure = self.failures[key] = Failure(title, details, 0)
            failure.count += 1
            if variant and variant not in failure.variants and len(failure.variants) < 40:
                failure.variants.append(variant)

    def note(self, text: str) -> None:
        with self.lock:
            if text not in self.notes:
                self.notes.append(text)

    def new_replica(self) -> str:
        """A fresh replica id: 26 uppercase Crockford base32 characters, 128 bits."""
        with self.lock:
            return self.ids.choice("01234567") + "".join(self.ids.choice(CROCKFORD) for _ in range(25))

    def new_annotation_id(self) -> str:
        return self.new_replica().lower()

    # -- commands and the server process --

    def server_tool(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
        """`gloss-server ARGUMENTS --data DATA`; a failure stops the run if `check`."""
        return self.admin.run(*arguments, check=check)

    def gloss(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
        """`gloss ARGUMENTS --store STORE`; a failure stops the run if `check`."""
        return processes.run([self.bin_dir / "gloss", *arguments, "--store", self.store], timeout=120, check=check)

    def start_server(self) -> None:
        """Starts `gloss-server serve --port 0`; its stdout and stderr go to server.log."""
        self.server = ServerProcess(self.bin_dir / "gloss-server", self.storage, self.server_log, self.server_log)
        self.server.start(timeout=30)
        self.port = self.server.port
        self.client.close()

    def stop_server(self) -> tuple[int | None, float]:
        """SIGTERM; returns the exit status (None if it did not stop within 10 s) and the time taken."""
        assert self.server is not None
        self.client.close()
        result = self.server.stop(timeout=10)
        self.server = None
        return result

    def server_alive(self) -> bool:
        return self.server is not None and self.server.alive()

    def ensure_server(self, after: str) -> None:
        """If the server died, records it (with its last log lines) and restarts it."""
        if self.server_alive():
            return
        code = self.server.returncode if self.server is not None else None
        tail = self.server_log.read_text(errors="replace")[-3000:] if self.server_log.exists() else ""
        self.fail(("crash", after), "gloss-server died",
                  f"    after: {after}\n    exit status: {code}\n    log tail:\n{tail}")
        self.start_server()

    # -- requests with the standard checks --

    def headers(self, token: str | None = "ayse-write", protocol: str | None = "1", content_type: str | None = None,
                extra: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str]]:
        headers = []
        if protocol is not None:
            headers.append(("Gloss-Protocol", protocol))
        if token is not None:
            headers.append(("Authorization", f"Bearer {self.tokens[token]}"))
        if content_type:
            headers.append(("Content-Type", content_type))
        headers.extend(extra)
        return headers

    def request(self, test: str, request: Request, *, expect: Callable[[Answer], str | None] | None = None,
                chunks: Iterable[bytes] | None = None, timeout: float | None = None, allow_no_answer: bool = False,
                variant: str | None = None, client: Client | None = None) -> Answer | None:
        """Sends a request and applies the standard checks and `expect` (which returns
        what is wrong, or None). Returns the answer (None if there was none)."""
        answer = (client or self.client).send(request, chunks=chunks, timeout=timeout)
        if isinstance(answer, str):
            self.count_status("none")
            alive = self.server_alive()
            if not allow_no_answer or not alive:
                self.fail((test, "no answer", request.method), f"{test}: no answer",
                          f"{request.describe(self.base, self.labels())}\n    problem: {answer}", variant)
            self.ensure_server(f"{test}: {request.method} {request.target[:200]}")
            return None
        self.count_status(answer.status)
        problems = standard_problems(request, answer)
        if expect is not None and not problems:
            problem = expect(answer)
            if problem:
                problems.append(problem)
        for problem in problems:
            category = problem.split(":")[0]
            self.fail((test, category, answer.status), f"{test}: {category} [{answer.status}]",
                      f"{request.describe(self.base, self.labels())}\n    problem: {problem}\n"
                      f"    answer: {describe_answer(answer)}", variant)
        return answer

    def push(self, test: str, body: Any, *, token: str = "ayse-write", corpus: str = "news", gzip_body: bool = False,
             expect: Callable[[Answer], str | None] | None = None, variant: str | None = None,
             client: Client | None = None, extra: Iterable[tuple[str, str]] = ()) -> Answer | None:
        """POSTs a push body (an object is JSON-encoded; bytes are sent as they are)."""
        raw = body if isinstance(body, bytes) else encode(body)
        headers = self.headers(token, content_type="application/json", extra=extra)
        note = ""
        if gzip_body:
            note = f"the gzip of {len(raw)} bytes: {raw[:400]!r}{'…' if len(raw) > 400 else ''}"
            raw = gzip_bytes(raw)
            headers.append(("Content-Encoding", "gzip"))
        return self.request(test, Request("POST", CHANGES.format(corpus), headers, raw, body_note=note), expect=expect,
                            variant=variant, client=client)

    def pull_all(self, test: str, token: str = "ayse-write", corpus: str = "news",
                 limit: int = 10000) -> list[dict] | None:
        """Every change of a corpus, following `more`/`cursor`; pages must be well formed
        and keep the corpus's epoch (it changes only with a restore, which never happens here)."""
        changes: list[dict] = []
        after = 0

        def expect(answer: Answer) -> str | None:
            problem = expect_status(200)(answer) or page_problem(answer, [str(after)], [str(limit)], 2**63)
            if problem or "epoch" not in answer.json():
                return problem
            epoch = self.epochs.setdefault(corpus, answer.json()["epoch"])
            return None if answer.json()["epoch"] == epoch else \
                f"epoch changed without a restore: {epoch!r} then {answer.json()['epoch']!r}"

        for _ in range(100000):
            answer = self.request(test, Request("GET", f"{CHANGES.format(corpus)}?after={after}&limit={limit}",
                                                self.headers(token)), expect=expect)
            if answer is None or answer.status != 200:
                return None
            page = answer.json()
            changes.extend(page["changes"])
            if page["changes"]:
                after = page["cursor"]
            if not page["more"]:
                return changes
        return None


class SetupError(ProcessError):
    """Something the suite needs (a command, the server) did not work."""


def resolve_bin_dir(path: str) -> Path:
    """--bin-dir as given, or relative to the repository when it does not hold the binaries."""
    candidate = Path(path)
    if not candidate.is_absolute() and not (candidate / "gloss-server").exists():
        candidate = REPO / candidate
    return candidate.resolve()


def redact(run: Run, text: str) -> str:
    """`text` with token secrets replaced by their names."""
    for secret, label in run.labels().items():
        text = text.replace(secret, label)
    return text


def guarded(run: Run, name: str, function: Callable[[Run], None]) -> None:
    """Runs one test; an exception in it (an answer the suite could not even read) is a
    failure of its own, and the run goes on."""
    try:
        function(run)
    except (ProcessError, KeyboardInterrupt):   # SetupError among them: the run cannot go on
        raise
    except Exception as error:   # anything else is reported, with its traceback, and the run goes on
        run.fail(("exception", name), f"{name}: stopped by an exception",
                 "    " + "".join(traceback.format_exception(error))[-3000:].replace("\n", "\n    "))
