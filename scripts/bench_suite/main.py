"""The command line: options, sizes, the run, the console table, BENCHMARKS.md, exit codes."""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import signal
import sys
import tempfile
import time

import bench_suite
from bench_suite.build import build_release, git_commit, needed_executables
from bench_suite.markdown import binaries_description, render_markdown, reproduce_command
from bench_suite.paths import REPO
from bench_suite.report import START, log, render_console
from bench_suite.runner import Bench, workloads_to_run
from bench_suite.sizes import FULL, SMOKE
from glossproc.processes import stop_all


def parse_arguments():
    parser = argparse.ArgumentParser(description=bench_suite.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", help="use the gloss, gloss-server and anchoring-eval in DIR instead of building "
                                          "release binaries (swift build -c release --scratch-path .build-release)")
    parser.add_argument("--out", default=os.path.join(REPO, "BENCHMARKS.md"),
                        help="where to write the report (default: BENCHMARKS.md at the repo root)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes; check that every workload completes with the right counts; "
                             "write no report")
    parser.add_argument("--articles", type=int, help="articles of the (a)-(d), (f) and (h) corpus "
                                                     "(default 1000; 20 with --smoke)")
    parser.add_argument("--annotations", type=int, help="annotations of that corpus (default 100000; "
                                                        "500 with --smoke)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    parser.add_argument("--only", metavar="LETTERS",
                        help="run only these workloads (e.g. i, or b,g; (a) runs with (b)-(d) and (f), which need "
                             "its replica) and rewrite only their rows of an existing report")
    return parser.parse_args()


def install_signal_handlers():
    """SIGTERM and SIGHUP end the run like Ctrl-C does, through the cleanup."""
    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)


def main():
    """Runs the bench; Ctrl-C (or SIGTERM, SIGHUP) stops every process it started: exit status 130."""
    try:
        run_bench()
    except KeyboardInterrupt:
        print("bench: interrupted; every process it started was stopped", file=sys.stderr)
        sys.exit(130)


def run_bench():
    """Exits 1 when a check failed or a command failed, 0 when all passed."""
    args = parse_arguments()
    install_signal_handlers()
    sizes = dataclasses.replace(SMOKE if args.smoke else FULL)
    if args.articles is not None:
        sizes.articles = args.articles
    if args.annotations is not None:
        sizes.annotations = args.annotations
    letters = workloads_to_run(args.only)
    commit = git_commit()   # before the build: what the binaries are built from
    bin_dir = os.path.abspath(args.bin_dir) if args.bin_dir else build_release(letters)
    for exe in needed_executables(letters):
        if not os.access(os.path.join(bin_dir, exe), os.X_OK):
            sys.exit(f"bench: no executable {exe} in {bin_dir}")
    tmp = tempfile.mkdtemp(prefix="gloss-bench-")
    bench = Bench(args, sizes, bin_dir, tmp)
    log(f"working in {tmp} with {bin_dir}" + (" (smoke)" if args.smoke else ""))
    try:
        bench.run_all()
    finally:
        stop_all()
        if bench.postgres:
            bench.postgres.drop_all()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    seconds = time.monotonic() - START
    print(render_console(bench.report, args.smoke))
    for note in bench.report.notes:
        print("note: " + note)
    if not args.smoke:
        if git_commit() != commit:
            commit += f" (at the end of the run: {git_commit()})"
        previous = None
        if args.only and os.path.exists(args.out):
            with open(args.out, encoding="utf-8") as f:
                previous = f.read()
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(render_markdown(bench, reproduce_command(args), seconds, binaries_description(args, bin_dir),
                                    commit, previous))
        log(f"wrote {args.out}")
    if bench.report.failures:
        print(f"\n{len(bench.report.failures)} check(s) failed:", file=sys.stderr)
        for failure in bench.report.failures:
            print("  - " + failure, file=sys.stderr)
        sys.exit(1)
    log(f"all checks passed in {seconds:.0f} s")
