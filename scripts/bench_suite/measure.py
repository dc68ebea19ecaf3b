"""Running commands: measured ones (wall time, CPU, peak RSS through a small launcher),
preparation ones, and several at once."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import subprocess
import sys
import tempfile

from bench_suite.report import WorkloadFailed
from glossproc import processes
from glossproc.processes import quoted, register, stop_all, unregister


@dataclasses.dataclass
class Measured:
    """One process run to its end: its times, peak memory and output."""

    seconds: float           # wall time of the process
    cpu: float               # user + system CPU seconds of the process
    maxrss_kib: int          # its peak resident set (ru_maxrss, KiB on Linux)
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


# Linux starts a child's ru_maxrss at the RSS high-water mark of the process that spawned
# it (exec records the old address space's peak), and this script holds hundreds of MiB
# of rows and exports. So each measured command is spawned by this small launcher, whose
# own peak is a few MiB: it times the command, reaps it with os.wait4 and writes
# "seconds cpu maxrss_kib exit_status" to the file named first. SIGTERM is passed on.
LAUNCHER = """
import os, signal, sys, time
result, cmd = sys.argv[1], sys.argv[2:]
began = time.perf_counter()
pid = os.posix_spawnp(cmd[0], cmd, os.environ)
signal.signal(signal.SIGTERM, lambda signum, frame: os.kill(pid, signum))
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - began
with open(result, "w") as f:
    f.write(f"{seconds} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run_measured(cmd, check=True):
    """Runs one process to completion: its wall time from spawn to reap, and its CPU time
    and peak RSS from its own rusage (through LAUNCHER). Threads may run several at once."""
    cmd = [str(part) for part in cmd]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rusage") as result:
        process = subprocess.Popen([sys.executable, "-I", "-S", "-c", LAUNCHER, result.name, *cmd],
                                   stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        register(process)
        launcher_status = process.wait()   # on Ctrl-C it stays registered, for cleanup
        unregister(process)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
        fields = result.read().split()
    if launcher_status != 0 or len(fields) != 4:
        raise WorkloadFailed(f"could not run `{quoted(cmd)}` (launcher exited {launcher_status}): {stderr[-2000:]}")
    seconds, cpu, maxrss, code = float(fields[0]), float(fields[1]), int(fields[2]), int(fields[3])
    if check and code != 0:
        raise WorkloadFailed(f"`{quoted(cmd)}` exited {code}: {stderr.strip()[-2000:]}")
    return Measured(seconds, cpu, maxrss, stdout, stderr)


def run(cmd, check=True):
    """Runs a preparation or checking command (not measured); returns its stdout."""
    return processes.run(cmd, check=check).stdout


def parallel(functions):
    """Runs the functions at the same time, one thread each; returns their results in order."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(functions)) as pool:
        futures = [pool.submit(function) for function in functions]
        try:
            return [future.result() for future in futures]
        except KeyboardInterrupt:
            stop_all()   # so that the threads' processes end and the pool can shut down
            raise
