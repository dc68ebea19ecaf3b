"""The command line: runs the phases in order and exits 0 only if every check passed."""

from __future__ import annotations

import argparse
import shutil
import sys
import time

import hypothesis.configuration

import fuzz_suite
from fuzz_suite.adversarial import phase_adversarial
from fuzz_suite.final_phase import phase_final
from fuzz_suite.run import Run, guarded
from fuzz_suite.schemathesis_phase import phase_schemathesis
from fuzz_suite.seed_phase import phase_seed
from fuzz_suite.setup_phase import phase_setup
from fuzz_suite.summary import summary
from glossproc.processes import ProcessError


def main() -> int:
    """Runs the phases; 0 if every check passed, 1 if any failed, 2 if the binaries are missing."""
    parser = argparse.ArgumentParser(description=fuzz_suite.__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=fuzz_suite.__doc__)
    parser.add_argument("--bin-dir", default=".build/debug",
                        help="where gloss and gloss-server are (default .build/debug)")
    parser.add_argument("--examples", type=int, default=60,
                        help="scale: Hypothesis examples per test (phase-4 tests use multiples of it) (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="seed for Hypothesis, schemathesis and ids (default 0)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temp dir (data, store, server log, tokens) and print it")
    parser.add_argument("--verbose", action="store_true", help="print each phase-4 test's requests and time")
    args = parser.parse_args()
    run = Run(args)
    try:
        hypothesis.configuration.set_hypothesis_home_dir(run.tmp / ".hypothesis")
    except AttributeError:
        pass
    for tool in ("gloss", "gloss-server"):
        if not (run.bin_dir / tool).exists():
            print(f"{run.bin_dir / tool} is missing: build first (swift build) or pass --bin-dir", file=sys.stderr)
            return 2
    started = time.monotonic()
    try:
        for phase in (phase_setup, phase_seed, phase_schemathesis, phase_adversarial, phase_final):
            phase_start = time.monotonic()
            print(f"== {phase.__name__.removeprefix('phase_')} ==", flush=True)
            if phase in (phase_setup, phase_seed):
                phase(run)  # nothing else can run without them
            else:
                guarded(run, phase.__name__, phase)
            print(f"   {run.sent[run.phase]} requests, {time.monotonic() - phase_start:.1f} s, "
                  f"{len(run.failures)} distinct failures so far", flush=True)
    except ProcessError as error:   # SetupError, or a command or the server that failed
        run.fail(("setup",), "setup failed", f"    {error}")
    except KeyboardInterrupt:
        run.fail(("interrupted",), "interrupted", "")
    finally:
        if run.server is not None:
            run.server.kill()
        summary(run, time.monotonic() - started)
        if args.keep:
            print(f"\nkept: {run.tmp} (data/, replica.gloss, server.log, tokens.json)")
        else:
            shutil.rmtree(run.tmp, ignore_errors=True)
    return 1 if run.failures else 0
