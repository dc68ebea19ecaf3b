"""Dots and replicas: forged dots, replica ownership, and the rules of seqs."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from fuzz_suite.bodies import clone
from fuzz_suite.changes import ack, fresh_change
from fuzz_suite.checks import expect_push, expect_refused, expect_status
from fuzz_suite.corpus import check_not_stored
from fuzz_suite.hypothesis_settings import fuzz
from fuzz_suite.rawhttp import Answer
from fuzz_suite.run import Run


def test_forged_dots(run: Run) -> None:
    """A replica may push only its own dots, and a dot is one change forever: a stored
    dot pushed again with anything changed must not be taken as a harmless duplicate."""
    seeded = [change for change in run.before if change["replica"] == run.seed_replica]

    def alterations(change: dict) -> list[tuple[str, Callable[[dict], None]]]:
        result = [
            ("time changed", lambda c: c.__setitem__("time", "1.0")),
            ("replaces changed", lambda c: c.__setitem__("replaces", [])),
            ("clock gains an entry", lambda c: c["clock"].__setitem__(run.new_replica(), 1)),
        ]
        if change["op"] == "put":
            result += [
                ("content changed", lambda c: c["content"].__setitem__("x-forged", "yes")),
                ("op changed to delete", lambda c: (c.__setitem__("op", "delete"), c.pop("content"))),
            ]
            if change["kind"] == "annotation":
                result.append(("note changed", lambda c: c["content"].__setitem__("note", "forged note")))
            else:
                result.append(("title changed", lambda c: c["content"].__setitem__("title", "forged title")))
        else:
            result.append(("op changed to put", lambda c: (c.__setitem__("op", "put"), c.__setitem__("content", clone(
                run.annotations[0].get("content") or {"article": run.article["entity"]})))))
        return result

    @fuzz(run, 1.0)
    @given(index=st.sampled_from(range(len(seeded))), pick=st.integers(0, 10),
           token=st.sampled_from(["ayse-write", "admin"]))
    def same_dot_changed(index, pick, token):
        original = seeded[index]
        options = alterations(original)
        name, alter = options[pick % len(options)]
        forged = clone(original)
        forged.pop("author", None)
        alter(forged)
        unchanged = clone(original)
        unchanged.pop("author", None)
        if forged == unchanged:
            return  # this alteration changes nothing of this change (e.g. replaces was already empty)
        run.push("forged dot: a stored dot pushed again with changes",
                 {"replica": run.seed_replica, "changes": [forged]}, token=token, expect=expect_refused(),
                 variant=f"{original['kind']} {original['op']}: {name}")

    same_dot_changed()

    # The control: the same dots again, unchanged (with or without the author the server set), are
    # harmless duplicates (docs/protocol.md, "Idempotent").
    seeded_max = max(change["seq"] for change in seeded)
    for keep_author in (False, True):
        batch = [clone(change) for change in seeded]
        if not keep_author:
            for change in batch:
                change.pop("author", None)
        run.push("forged dot control: an unchanged retry", {"replica": run.seed_replica, "changes": batch},
                 expect=expect_push(0, len(batch), seeded_max),
                 variant="with author" if keep_author else "without author")

    @fuzz(run, 0.5)
    @given(index=st.sampled_from(range(len(seeded))), own=st.booleans())
    def other_replicas_dot(index, own):
        # A fresh replica pushing a seeded change, or the seeded replica's body carrying a fresh replica's change.
        fresh = run.new_replica()
        if own:
            change = clone(seeded[index])
            change.pop("author", None)
            body = {"replica": fresh, "changes": [change]}
        else:
            body = {"replica": run.seed_replica, "changes": [fresh_change(run, fresh, 1)]}
        run.push("forged dot: another replica's change", body, expect=expect_status(403, codes=["forbidden_dot"]),
                 variant="fresh replica carrying a seeded change" if own else "seeded replica carrying a fresh change")

    other_replicas_dot()

    # A batch with a second replica's change after a valid one: refused as a whole.
    fresh, stranger = run.new_replica(), run.new_replica()
    batch = [fresh_change(run, fresh, 1), fresh_change(run, stranger, 1)]
    run.push("forged dot: mixed batch", {"replica": fresh, "changes": batch},
             expect=expect_status(403, codes=["forbidden_dot"]))
    check_not_stored(run, "forged dot: mixed batch", [(fresh, 1), (stranger, 1)])


def test_ownership(run: Run) -> None:
    """A replica id belongs to the user who first pushed it (403 replica_owned)."""
    next_seq = max(c["seq"] for c in run.before if c["replica"] == run.seed_replica) + 1
    seeded = [c for c in run.before if c["replica"] == run.seed_replica]

    @fuzz(run, 0.5)
    @given(kind=st.sampled_from(["next", "stored", "empty"]), index=st.sampled_from(range(len(seeded))))
    def bob_pushes_ayses_replica(kind, index):
        if kind == "next":
            changes = [fresh_change(run, run.seed_replica, next_seq, clock={run.seed_replica: next_seq})]
            expect = expect_status(403, codes=["replica_owned"])
        elif kind == "stored":
            change = clone(seeded[index])
            change.pop("author", None)
            changes = [change]
            expect = expect_status(403, codes=["replica_owned"])
        else:
            changes = []
            expect = expect_status(200, 403)
        run.push("replica ownership: bob pushes ayse's replica", {"replica": run.seed_replica, "changes": changes},
                 token="bob-write", expect=expect, variant=kind)

    bob_pushes_ayses_replica()

    # bob's own fresh replica, then ayse (and the admin) pushing its next change.
    bobs = run.new_replica()
    first = fresh_change(run, bobs, 1)
    answer = run.push("replica ownership: bob's replica", {"replica": bobs, "changes": [first]}, token="bob-write",
                      expect=expect_push(1, 0, 1))
    if answer is not None and answer.status == 200:
        ack(run, [first], "bob")
        second = fresh_change(run, bobs, 2, clock={bobs: 2})
        run.push("replica ownership: ayse pushes bob's replica", {"replica": bobs, "changes": [second]},
                 expect=expect_status(403, codes=["replica_owned"]))
        run.push("replica ownership: ayse re-sends bob's stored change", {"replica": bobs, "changes": [first]},
                 expect=expect_status(403, codes=["replica_owned"]))
    # The same replica id in another corpus is another corpus's business: no 5xx either way.
    other = fresh_change(run, bobs, 1)
    run.push("replica ownership: same id in corpus other", {"replica": bobs, "changes": [other]}, token="other-write",
             corpus="other", expect=lambda a: None)


def test_seq_rules(run: Run) -> None:
    """Seqs run 1, 2, 3 … without gaps: 409 seq_gap with `expected`; in-batch gaps and
    disorder refused; overlapping retries count duplicates."""

    @fuzz(run, 0.5)
    @given(stored=st.integers(0, 4), start=st.integers(1, 8), count=st.integers(1, 4),
           disorder=st.sampled_from(["none", "gap", "swap", "repeat"]))
    def seq_rules(stored, start, count, disorder):
        replica = run.new_replica()
        changes = [fresh_change(run, replica, seq, note=f"n{seq}") for seq in range(1, 13)]
        if stored:
            answer = run.push("seq rules: setup", {"replica": replica, "changes": changes[:stored]},
                              expect=expect_push(stored, 0, stored))
            if answer is None or answer.status != 200:
                return
            ack(run, changes[:stored], "ayse")
        batch = changes[start - 1: start - 1 + count]
        if disorder == "gap" and count > 1:
            batch = batch[:1] + batch[2:] if count > 2 else [batch[0], changes[start + 2]]
        elif disorder == "swap" and count > 1:
            batch = [batch[1], batch[0]] + batch[2:]
        elif disorder == "repeat":
            batch = batch + [batch[-1]]
        else:
            disorder = "none"
        seqs = [c["seq"] for c in batch]
        if disorder != "none":
            expect = expect_refused()
        elif start > stored + 1:
            expect = expect_gap(stored + 1)
        else:
            new = [s for s in seqs if s > stored]
            expect = expect_push(len(new), len(seqs) - len(new), max(stored, seqs[-1]))
        answer = run.push(f"seq rules ({'refuse' if disorder != 'none' or start > stored + 1 else 'accept'})",
                          {"replica": replica, "changes": batch}, expect=expect,
                          variant=f"stored 1..{stored}, pushed {seqs}")
        if answer is not None and answer.status == 200:
            ack(run, [c for c in batch if c["seq"] > stored], "ayse")

    seq_rules()


def expect_gap(expected: int) -> Callable[[Answer], str | None]:
    """409 seq_gap naming the seq the server expects."""

    def check(answer: Answer) -> str | None:
        problem = expect_status(409, codes=["seq_gap"])(answer)
        if problem:
            return problem
        got = answer.json()["error"].get("expected")
        return None if got == expected else f"wrong seq_gap answer: expected {expected}, got {got!r}"

    return check
