"""Concurrent pushes with a puller following the cursor."""

from __future__ import annotations

import collections
import threading

from fuzz_suite.changes import ack, fresh_change
from fuzz_suite.checks import expect_push, expect_status
from fuzz_suite.corpus import latest_cursor
from fuzz_suite.rawhttp import Client, Request
from fuzz_suite.run import Run
from fuzz_suite.spec import CHANGES


def test_concurrent_pushes(run: Run) -> None:
    """Four pushers on their own connections and fresh replicas while a puller follows
    the cursor with long polls: every acknowledged change is seen exactly once, in
    increasing positions (the cursor never skips a change that commits late)."""
    pushers, batches = 4, max(3, run.args.examples // 4)
    acknowledged: list[tuple[str, int]] = []
    seen: list[tuple[str, int]] = []
    stop = threading.Event()
    start_cursor = latest_cursor(run)

    def pusher(index: int) -> None:
        client = Client(run)
        replica = run.new_replica()
        seq = 0
        for batch in range(batches):
            changes = [fresh_change(run, replica, seq + i + 1, note=f"concurrent {index} {batch} {i}",
                                    clock={replica: seq + i + 1}) for i in range(1 + batch % 3)]
            answer = run.push("concurrent pushes", {"replica": replica, "changes": changes},
                              expect=expect_push(len(changes), 0, changes[-1]["seq"]), client=client)
            if answer is not None and answer.status == 200:
                ack(run, changes, "ayse")
                with run.lock:
                    acknowledged.extend((c["replica"], c["seq"]) for c in changes)
            seq += len(changes)
        client.close()

    def puller() -> None:
        client = Client(run)
        cursor = start_cursor
        while True:
            done = stop.is_set()
            answer = run.request("concurrent pull",
                                 Request("GET", f"{CHANGES.format('news')}?after={cursor}&wait=1&limit=5",
                                         run.headers("ayse-read")), expect=expect_status(200), client=client)
            if answer is None or answer.status != 200:
                break
            page = answer.json()
            seen.extend((c["replica"], c["seq"]) for c in page["changes"])
            if page["changes"]:
                cursor = page["cursor"]
            if done and not page["more"]:
                break
        client.close()

    threads = [threading.Thread(target=pusher, args=(i,)) for i in range(pushers)]
    follow = threading.Thread(target=puller)
    follow.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    stop.set()
    follow.join(60)
    counts = collections.Counter(seen)
    twice = [f"{r}:{s}" for (r, s), n in counts.items() if n > 1]
    missed = [f"{r}:{s}" for r, s in acknowledged if (r, s) not in counts]
    if twice or missed:
        run.fail(("concurrent", "pull"), "concurrent pushes: the following puller skipped or repeated changes",
                 f"    skipped: {missed[:10]} ({len(missed)})\n    repeated: {twice[:10]} ({len(twice)})")
