"""Child processes: run a command to its end, and stop every child still running when a
run ends early."""

from __future__ import annotations

import shlex
import subprocess
import threading
import time
from collections.abc import Iterable


class ProcessError(Exception):
    """A command failed, or a process did not do what it must (start, listen, print a token)."""


def quoted(cmd: Iterable[object]) -> str:
    """A command line as a shell would take it back."""
    return " ".join(shlex.quote(str(part)) for part in cmd)


# Every child started through this package, so that stop_all can end them: threads running
# commands do not get Ctrl-C, and their children would otherwise outlive the run.
_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()


def register(process: subprocess.Popen) -> None:
    with _live_lock:
        _live.add(process)


def unregister(process: subprocess.Popen) -> None:
    with _live_lock:
        _live.discard(process)


def stop_all(grace: float = 10.0) -> None:
    """SIGTERM to every registered child still running; SIGKILL to those still running
    `grace` seconds later."""
    with _live_lock:
        processes = list(_live)
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        unregister(process)


def run(cmd: Iterable[object], *, timeout: float | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Runs a command to its end with its output captured as text; raises ProcessError when
    it exits non-zero (and `check`) or runs past `timeout` seconds (then it is killed)."""
    cmd = [str(part) for part in cmd]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                               text=True, errors="replace")
    register(process)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        raise ProcessError(f"`{quoted(cmd)}` did not finish within {timeout:g} s: {_tails(stdout, stderr)}") from None
    except BaseException:   # Ctrl-C: the child goes too
        process.kill()
        process.wait()
        raise
    finally:
        unregister(process)
    if check and process.returncode != 0:
        raise ProcessError(f"`{quoted(cmd)}` exited {process.returncode}: {_tails(stdout, stderr)}")
    return subprocess.CompletedProcess(cmd, process.returncode, stdout, stderr)


def _tails(stdout: str, stderr: str, chars: int = 2000) -> str:
    """The ends of a command's output, for a failure message (an export's stdout can be large)."""
    return "\n".join(part.strip()[-chars:] for part in (stdout, stderr) if part.strip()) or "(no output)"
