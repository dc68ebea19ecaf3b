"""gloss-server: its storage options, its admin commands, and `serve` on a free loopback port."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from glossproc.processes import ProcessError, quoted, register, run, unregister

# `gloss-server serve` prints this as its first line on stdout once it accepts connections;
# with --port 0 it is the only way to learn the port the system gave it.
LISTENING = re.compile(r"^gloss-server listening on (http://127\.0\.0\.1:(\d+))\s*$")
TOKEN = re.compile(r"gloss_[0-9a-f]{64}")


@dataclass(frozen=True)
class Storage:
    """Embedded SQLite (a data folder) or one PostgreSQL database."""

    data_dir: str | None = None
    postgres_url: str | None = None

    @property
    def args(self) -> list[str]:
        return ["--postgres", self.postgres_url] if self.postgres_url else ["--data", str(self.data_dir)]


class ServerAdmin:
    """The admin commands of `gloss-server` on one storage."""

    def __init__(self, executable: str | Path, storage: Storage, timeout: float | None = None):
        self.executable = str(executable)
        self.storage = storage
        self.timeout = timeout

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """`gloss-server ARGS` with the storage options after them."""
        return run([self.executable, *args, *self.storage.args], timeout=self.timeout, check=check)

    def create_corpus(self, name: str) -> None:
        self.run("corpus", "create", name)

    def create_token(self, corpus: str, user: str, scope: str) -> str:
        """A new token's secret (`token create` prints it)."""
        output = self.run("token", "create", "--corpus", corpus, "--user", user, "--scope", scope).stdout
        match = TOKEN.search(output)
        if not match:
            raise ProcessError(f"token create printed no token: {output!r}")
        return match.group(0)


class ServerProcess:
    """One `gloss-server serve` on 127.0.0.1, port 0 (a free one, read from its first line).

    stdout and stderr go to files (they may be the same one), opened for appending so that a
    restart keeps the earlier log."""

    def __init__(self, executable: str | Path, storage: Storage, stdout_path: str | Path, stderr_path: str | Path,
                 extra_args: tuple[str, ...] = ()):
        self.command = [str(executable), "serve", *storage.args, "--host", "127.0.0.1", "--port", "0", *extra_args]
        self.stdout_path = Path(stdout_path)
        self.stderr_path = Path(stderr_path)
        self.process: subprocess.Popen | None = None
        self.url: str | None = None
        self.port = 0

    def start(self, timeout: float) -> ServerProcess:
        """Starts it and waits (up to `timeout` seconds) until it says where it listens."""
        offset = self.stdout_path.stat().st_size if self.stdout_path.exists() else 0
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            self.process = subprocess.Popen(self.command, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        register(self.process)
        self.url, self.port = self._wait_for_listening_line(offset, timeout)
        return self

    def _wait_for_listening_line(self, offset: int, timeout: float) -> tuple[str, int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            exited = self.process.poll() is not None   # before reading: a line written just before exit counts
            with open(self.stdout_path, "rb") as f:
                f.seek(offset)
                lines = f.read().decode("utf-8", "replace").splitlines(keepends=True)
            for line in lines:
                match = LISTENING.match(line)
                if match and line.endswith("\n"):
                    return match.group(1), int(match.group(2))
            if exited:
                raise ProcessError(f"`{quoted(self.command)}` exited {self.process.returncode} before listening: "
                                   + self.log_tail())
            time.sleep(0.05)
        raise ProcessError(f"`{quoted(self.command)}` printed no listening line within {timeout:g} s; "
                           f"see {self.stderr_path}")

    @property
    def returncode(self) -> int | None:
        return self.process.returncode if self.process is not None else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float) -> tuple[int | None, float]:
        """SIGTERM; its exit status (None if it did not stop within `timeout` s: then it is
        killed) and the seconds it took."""
        start = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            code = None
        unregister(self.process)
        return code, time.monotonic() - start

    def kill(self) -> None:
        """SIGKILL, for a run that stops early."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        unregister(self.process)

    def peak_rss_kib(self) -> int | None:
        """VmHWM: its peak resident set so far, if /proc tells."""
        try:
            with open(f"/proc/{self.process.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    def cpu_seconds(self) -> float:
        """User + system CPU time so far, from /proc/PID/stat."""
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, chars: int = 2000) -> str:
        """The end of its stderr."""
        try:
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def get(self, path: str, timeout: float = 30) -> str:
        """GET `path` (e.g. /metrics) without credentials; the body as text."""
        with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
            return response.read().decode()
