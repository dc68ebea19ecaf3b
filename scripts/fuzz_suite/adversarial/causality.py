"""Causality: clocks naming unseen dots, and a replica's clocks going backwards."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fuzz_suite.changes import ack, fresh_change
from fuzz_suite.checks import expect_push, expect_status
from fuzz_suite.corpus import check_not_stored
from fuzz_suite.hypothesis_settings import fuzz
from fuzz_suite.run import Run


def test_causality(run: Run) -> None:
    """docs/protocol.md, "Causality": a clock names another replica's seq only up to what
    the corpus holds (422 unseen_dot), and a replica's versions of one entity follow each
    other (422 clock_backwards); a refused batch stores nothing."""
    seeded = run.annotations[0]
    seeded_max = max(c["seq"] for c in run.before if c["replica"] == run.seed_replica)

    def edit(replica: str, seq: int, clock: dict, replaces: list[str]) -> dict:
        return fresh_change(run, replica, seq, entity=seeded["entity"], clock=clock, replaces=replaces,
                            op="delete" if seeded["op"] == "delete" else "put", note=f"edit {seq}")

    @fuzz(run, 0.5)
    @given(split=st.booleans(), keep_seeded=st.booleans())
    def backwards(split, keep_seeded):
        # Two edits of a seeded annotation: the second forgets (or keeps) what the first saw.
        replica = run.new_replica()
        first = edit(replica, 1, {run.seed_replica: seeded_max}, [f"{seeded['replica']}:{seeded['seq']}"])
        second = edit(replica, 2, {run.seed_replica: seeded_max} if keep_seeded else {}, [f"{replica}:1"])
        refused = expect_status(422, codes=["clock_backwards"])
        variant = (f"{'two batches' if split else 'one batch'}, second clock "
                   f"{'keeps' if keep_seeded else 'forgets'} the seeded entry")
        if split:
            answer = run.push("causality: setup", {"replica": replica, "changes": [first]}, expect=expect_push(1, 0, 1))
            if answer is None or answer.status != 200:
                return
            ack(run, [first], "ayse")
            answer = run.push("causality: clock going backwards", {"replica": replica, "changes": [second]},
                              expect=expect_push(1, 0, 2) if keep_seeded else refused, variant=variant)
            if answer is not None and answer.status == 200:
                ack(run, [second], "ayse", exact=keep_seeded)
        else:
            answer = run.push("causality: clock going backwards", {"replica": replica, "changes": [first, second]},
                              expect=expect_push(2, 0, 2) if keep_seeded else refused, variant=variant)
            if answer is not None and answer.status == 200:
                ack(run, [first, second], "ayse", exact=keep_seeded)
            elif not keep_seeded:
                check_not_stored(run, "causality: clock going backwards", [(replica, 1), (replica, 2)])

    backwards()

    @fuzz(run, 0.5)
    @given(held=st.integers(1, 3), named=st.integers(1, 5))
    def unseen(held, named):
        # Replica A holds 1..held; B's change names A:named.
        a, b = run.new_replica(), run.new_replica()
        changes = [fresh_change(run, a, seq) for seq in range(1, held + 1)]
        answer = run.push("causality: setup", {"replica": a, "changes": changes}, expect=expect_push(held, 0, held))
        if answer is None or answer.status != 200:
            return
        ack(run, changes, "ayse")
        change = fresh_change(run, b, 1, clock={a: named})
        expect = expect_push(1, 0, 1) if named <= held else expect_status(422, codes=["unseen_dot"])
        answer = run.push("causality: clock naming another replica", {"replica": b, "changes": [change]}, expect=expect,
                          variant=f"corpus holds A:1..{held}, clock names A:{named}")
        if answer is not None and answer.status == 200:
            ack(run, [change], "ayse", exact=named <= held)

    unseen()
