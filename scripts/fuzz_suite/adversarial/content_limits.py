"""Content limits: very long strings, many tags, huge clocks, bodies over 16 MiB."""

from __future__ import annotations

from collections.abc import Callable

from fuzz_suite.adversarial.mutations import set_path
from fuzz_suite.bodies import article_id
from fuzz_suite.changes import ack, fresh_change
from fuzz_suite.checks import expect_push, expect_status
from fuzz_suite.rawhttp import Request
from fuzz_suite.run import Run
from fuzz_suite.spec import CHANGES


def test_big_bodies(run: Run) -> None:
    """Very long strings: notes, quotes and texts of megabytes; bodies over 16 MiB."""
    invalid = expect_status(422, codes=["invalid_change"])
    unseen = expect_status(422, codes=["unseen_dot"])
    # docs/protocol.md, "Content" (default limits): note 100,000 scalars, quote 1,000,000,
    # other strings 10,000, 1,000 tags, article text 10,000,000; body 16 MiB.
    cases: list[tuple[str, Callable[[dict], dict], Callable]] = [
        ("note of 100,000 scalars (the limit)", lambda c: set_path("content.note", "ü" * 100000)(run, c),
         expect_push(1, 0, 1)),
        ("note of 100,001 scalars", lambda c: set_path("content.note", "ü" * 100001)(run, c), invalid),
        ("note of 2 MiB", lambda c: set_path("content.note", "ü" * (1 << 20))(run, c), invalid),
        ("quote of 1,000,001 scalars", lambda c: set_path("content.target", {
            "exact": "q" * 1000001, "prefix": "", "suffix": "", "start": 0, "end": 1000001})(run, c), invalid),
        ("prefix of 10,001 scalars", lambda c: set_path("content.target.prefix", "p" * 10001)(run, c), invalid),
        ("label of 10,001 scalars", lambda c: set_path("content.label", "L" * 10001)(run, c), invalid),
        ("created of 1 MiB", lambda c: set_path("content.created", "2" * (1 << 20))(run, c), invalid),
        ("1,000 tags (the limit)", lambda c: set_path("content.tags", [f"t{i}" for i in range(1000)])(run, c),
         expect_push(1, 0, 1)),
        ("1,001 tags", lambda c: set_path("content.tags", [f"t{i}" for i in range(1001)])(run, c), invalid),
        ("50,000 tags", lambda c: set_path("content.tags", [f"t{i}" for i in range(50000)])(run, c), invalid),
        ("unknown field of 1 MiB", lambda c: set_path("content.x-blob", "b" * (1 << 20))(run, c), lambda a: None),
        ("clock of 20,000 unknown replicas",
         lambda c: c["clock"].update({run.new_replica(): 1 for _ in range(20000)}) or c, unseen),
        ("replaces of 5,000 unseen dots",
         lambda c: (c["clock"].update({run.seed_replica: 5000}),
                    c.__setitem__("replaces", [f"{run.seed_replica}:{i}" for i in range(1, 5001)])) and c, unseen),
    ]
    for name, mutate, expect in cases:
        replica = run.new_replica()
        change = mutate(fresh_change(run, replica, 1))
        answer = run.push("very long strings", {"replica": replica, "changes": [change]}, expect=expect, variant=name)
        if answer is not None and answer.status == 200:
            ack(run, [change], "ayse", exact=True)
    for name, size, expect in (("article of 8 MiB", 8 << 20, expect_push(1, 0, 1)),
                               ("article of 10,000,001 scalars", 10_000_001, invalid),
                               ("article of 17 MiB (over the 16 MiB body limit)", 17 << 20,
                                expect_status(413, codes=["too_large"]))):
        replica = run.new_replica()
        body_text = ("Musul " * (size // 6 + 1))[:size]
        change = fresh_change(run, replica, 1, "article")
        change["content"]["text"] = body_text
        change["entity"] = article_id(body_text)
        answer = run.push("very long strings", {"replica": replica, "changes": [change]}, expect=expect, variant=name)
        if answer is not None and answer.status == 200:
            ack(run, [change], "ayse", exact=True)
    # 17 MiB streamed with chunked encoding (no Content-Length to refuse early on).
    run.request("very long strings", Request("POST", CHANGES.format("news"),
                                             run.headers(content_type="application/json"), None,
                                             body_note="17 MiB of spaces, chunked"),
                chunks=(b" " * (1 << 20) for _ in range(17)), expect=expect_status(413, codes=["too_large"]),
                variant="17 MiB chunked")
