"""Phase 5, final: nothing stored was lost or changed, SIGTERM stops the server, the data
checks out and the real client still syncs."""

from __future__ import annotations

import json
import threading
import time

from fuzz_suite.checks import expect_status
from fuzz_suite.corpus import latest_cursor
from fuzz_suite.rawhttp import Client, Request
from fuzz_suite.run import Run, redact
from fuzz_suite.spec import CHANGES


def phase_final(run: Run) -> None:
    """The server survived; nothing stored was changed or lost; it stops cleanly; the
    data checks out; the real client still syncs."""
    run.phase = "final"
    run.ensure_server("the adversarial phase")
    run.request("final: health", Request("GET", "/v1/healthz", []), expect=expect_status(200))
    after = run.pull_all("final: full pull", token="ayse-read")
    if after is None:
        run.fail(("final", "pull"), "final: the full pull failed", "")
    else:
        by_dot: dict[tuple[str, int], dict] = {}
        twice = []
        for change in after:
            dot = (change["replica"], change["seq"])
            if dot in by_dot:
                twice.append(f"{dot[0]}:{dot[1]}")
            by_dot[dot] = change
        if twice:
            run.fail(("final", "twice"), "final: a dot appears twice in the corpus",
                     f"    dots: {twice[:20]} ({len(twice)})")
        changed = [c for c in run.before if by_dot.get((c["replica"], c["seq"])) != c]
        for change in changed[:5]:
            dot = (change["replica"], change["seq"])
            run.fail(("final", "before changed", dot), "final: a change of the before snapshot is missing or altered",
                     f"    dot: {dot[0]}:{dot[1]}\n    before: {json.dumps(change)[:600]}\n"
                     f"    now:    {json.dumps(by_dot.get(dot))[:600]}")
        missing = [dot for dot in run.acked if dot not in by_dot]
        if missing:
            run.fail(("final", "ack lost"), "final: acknowledged changes are missing",
                     f"    dots: {[f'{r}:{s}' for r, s in missing[:20]]} ({len(missing)} of {len(run.acked)})")
        differs = [dot for dot, expected in run.acked.items() if expected is not None and dot in by_dot
                   and by_dot[dot] != expected]
        for dot in differs[:5]:
            run.fail(("final", "ack differs", dot),
                     "final: an acknowledged change is stored differently from what was pushed",
                     f"    dot: {dot[0]}:{dot[1]}\n    pushed (+author): {json.dumps(run.acked[dot])[:600]}\n"
                     f"    stored: {json.dumps(by_dot[dot])[:600]}")
        cursor = latest_cursor(run)
        if cursor != len(after):
            run.fail(("final", "positions"), "final: positions do not run 1..N",
                     f"    {len(after)} changes, last position {cursor}")
        print(f"final corpus: {len(after)} changes ({len(run.before)} seeded, {len(run.acked)} acknowledged "
              "during the run)", flush=True)
    code, seconds = run.stop_server()
    if code != 0:
        run.fail(("final", "sigterm"), "final: SIGTERM did not stop the server with exit 0 within 10 s",
                 f"    exit status: {code} after {seconds:.1f} s")
    check = run.server_tool("check", check=False)
    if check.returncode != 0:
        run.fail(("final", "check"), "final: gloss-server check failed",
                 f"    exit {check.returncode}\n{check.stdout[-2000:]}{check.stderr[-2000:]}")
    run.start_server()
    remote = ("remote", "set", run.base, "--corpus", "news", "--token", run.tokens["ayse-write"])
    for command in (remote, ("sync",), ("doctor",)):
        result = run.gloss(*command, check=False)
        if result.returncode != 0:
            run.fail(("final", command[0]), f"final: gloss {command[0]} failed",
                     f"    gloss {' '.join(redact(run, part) for part in command)} --store {run.store}\n"
                     f"    exit {result.returncode}\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        elif command[0] == "sync":
            print(f"gloss sync: {result.stdout.strip()}", flush=True)
    # Once more, with a long poll in flight (wait=30): a stop must not wait for it.
    cursor = latest_cursor(run)
    poller = threading.Thread(target=lambda: Client(run, timeout=60).send(Request(
        "GET", f"{CHANGES.format('news')}?after={cursor}&wait=30", run.headers("ayse-read"))), daemon=True)
    poller.start()
    time.sleep(1)
    code, seconds = run.stop_server()
    if code != 0:
        run.fail(("final", "sigterm 2"),
                 "final: SIGTERM with a long poll in flight did not stop the server with exit 0 within 10 s",
                 f"    in flight: GET {CHANGES.format('news')}?after={cursor}&wait=30 (ayse-read)\n"
                 f"    exit status: {code} after {seconds:.1f} s (None: still running, killed)")
