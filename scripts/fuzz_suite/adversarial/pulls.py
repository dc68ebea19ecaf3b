"""Pulls: query strings, paging with small limits, and long polls."""

from __future__ import annotations

import threading
import time
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from fuzz_suite.changes import ack, fresh_change
from fuzz_suite.checks import error_code, expect_push, expect_status, page_problem
from fuzz_suite.corpus import latest_cursor
from fuzz_suite.hypothesis_settings import fuzz
from fuzz_suite.rawhttp import Answer, Client, Request
from fuzz_suite.run import Run
from fuzz_suite.spec import CHANGES

QUERY_VALUES = {
    # value: valid for after / limit / wait (None: either way is defensible)
    "0": (True, False, True), "1": (True, True, True), "3": (True, True, True), "10000": (True, True, False),
    "10001": (True, False, False), "-1": (False, False, False), "9223372036854775807": (True, False, False),
    "9223372036854775808": (False, False, False), "99999999999999999999": (False, False, False),
    "abc": (False, False, False), "": (False, False, False), "1.5": (False, False, False),
    "1e3": (False, False, False), "0x10": (False, False, False), "61": (True, True, False),
    "%2D1": (False, False, False), "%00": (False, False, False),
    "%D9%A3": (False, False, False), "+1": (None, None, None), "01": (None, None, None), "%201": (None, None, None),
    "1%20": (None, None, None), "null": (False, False, False), "true": (False, False, False),
    "-0": (None, False, None), "1,2": (False, False, False),
}


def test_pull_queries(run: Run) -> None:
    """after/limit/wait with negative, huge, non-numeric, repeated and empty values:
    400 bad_request when invalid, otherwise a well-formed page that respects them."""
    last = latest_cursor(run)

    @fuzz(run, 3.0)
    @given(params=st.lists(st.tuples(st.sampled_from(["after", "limit", "wait", "after", "limit", "x", "After"]),
                                     st.sampled_from(sorted(QUERY_VALUES))), max_size=4),
           shape=st.sampled_from(["normal", "normal", "no value", "bare ampersands", "fragment"]))
    def pull_query(params, shape):
        parts = [f"{name}={value}" for name, value in params]
        if shape == "no value" and params:
            parts[0] = params[0][0]
        elif shape == "bare ampersands":
            parts = ["", *parts, ""]
        target = CHANGES.format("news") + "?" + "&".join(parts)
        if shape == "fragment":
            target += "#frag"
        # What must happen, where it is clear.
        verdict: bool | None = True
        for index, name in enumerate(("after", "limit", "wait")):
            values = [value for key, value in params if key == name]
            if shape == "no value" and params and params[0][0] == name:
                verdict = None if verdict is not False else False  # `after` without `=`: absent or empty
                values = values[1:]
            if len(values) > 1:
                verdict = None if verdict is not False else False  # repeated: either reading, or a refusal
                if all(QUERY_VALUES[v][index] is False for v in values):
                    verdict = False
            elif values:
                valid = QUERY_VALUES[values[0]][index]
                if valid is False:
                    verdict = False
                elif valid is None and verdict is True:
                    verdict = None
        if shape == "fragment" and verdict is True:
            verdict = None  # a fragment is not part of a request target (RFC 9112): 400 is fair
        sent = params[1:] if shape == "no value" else params
        after_values = [v for k, v in sent if k == "after"]
        limit_values = [v for k, v in sent if k == "limit"]

        def expect(answer: Answer) -> str | None:
            if verdict is False and answer.status != 400:
                what = "refusal missing" if answer.status < 300 else "wrong status"
                return f"{what}: expected 400, got {answer.status}"
            if verdict is True and answer.status != 200:
                return f"valid pull refused: expected 200, got {answer.status}"
            if answer.status == 400 and error_code(answer) != "bad_request":
                return f"wrong error code: expected bad_request, got {error_code(answer)!r}"
            if answer.status == 200:
                return page_problem(answer, after_values, limit_values, last)
            return None

        run.request("pull query", Request("GET", target, run.headers()), expect=expect,
                    variant=target[len(CHANGES.format('news')):], timeout=20)

    pull_query()


def test_paging_and_long_poll(run: Run) -> None:
    """Paging with small limits sees every change exactly once, in position order; a long
    poll holds an empty page for `wait` seconds and wakes up when a change arrives."""
    full = run.pull_all("paging: full pull", token="ayse-read")
    if full is None:
        return
    for limit in (1, 7, 100):
        paged = run.pull_all(f"paging: limit {limit}", token="ayse-read", limit=limit)
        if paged is None:
            continue
        head = paged[: len(full)]
        if head != full:
            run.fail(("paging", limit), f"paging with limit={limit} differs from one full pull",
                     f"    full: {len(full)} changes, paged: {len(paged)} changes")
    cursor = latest_cursor(run)
    start = time.monotonic()
    answer = run.request("long poll", Request("GET", f"{CHANGES.format('news')}?after={cursor}&wait=2", run.headers()),
                         expect=expect_status(200), timeout=20)
    held = time.monotonic() - start
    if answer is not None and answer.status == 200 and not answer.json()["changes"] and not 1.5 <= held <= 6:
        run.fail(("long poll", "timing"), "long poll: an empty page was not held for wait=2 s",
                 f"    held {held:.2f} s")
    # A push during a long poll ends it with the new change.
    replica = run.new_replica()
    change = fresh_change(run, replica, 1)
    result: dict[str, Any] = {}

    def poll() -> None:
        client = Client(run, timeout=30)
        begin = time.monotonic()
        target = f"{CHANGES.format('news')}?after={cursor}&wait=20"
        result["answer"] = run.request("long poll woken", Request("GET", target, run.headers()),
                                       expect=expect_status(200), client=client)
        result["seconds"] = time.monotonic() - begin
        client.close()

    cursor = latest_cursor(run)
    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.7)
    pushed = run.push("long poll woken: push", {"replica": replica, "changes": [change]}, expect=expect_push(1, 0, 1))
    if pushed is not None and pushed.status == 200:
        ack(run, [change], "ayse")
    thread.join(40)
    answer = result.get("answer")
    if answer is not None and answer.status == 200:
        dots = [(c["replica"], c["seq"]) for c in answer.json()["changes"]]
        if (replica, 1) not in dots or result["seconds"] > 5:
            run.fail(("long poll", "not woken"), "long poll: a push did not end the poll with the new change",
                     f"    answered after {result['seconds']:.2f} s with dots {dots[:5]}")
