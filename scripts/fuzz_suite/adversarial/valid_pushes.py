"""Well-formed batches from fresh replicas: stored exactly, retries are duplicates."""

from __future__ import annotations

import json
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from fuzz_suite.changes import ack, fresh_change
from fuzz_suite.checks import expect_push
from fuzz_suite.hypothesis_settings import fuzz
from fuzz_suite.run import Run


@st.composite
def annotation_batches(draw, run: Run) -> list[dict]:
    """A fresh replica's well-formed changes: new annotations, edits and deletes of its
    own annotations, sometimes an edit of a seeded annotation."""
    text_length = len(run.article["content"]["text"])
    replica = run.new_replica()
    changes: list[dict] = []
    mine: dict[str, tuple[str, dict]] = {}  # entity -> (dot, clock)
    for seq in range(1, draw(st.integers(1, 6)) + 1):
        action = draw(st.sampled_from(["new", "new", "edit", "delete", "edit-seeded"]))
        note = unicodedata.normalize("NFC", draw(st.text(st.characters(exclude_categories=("Cs",)), max_size=60)))
        tags = draw(st.lists(st.from_regex(r"[a-z0-9_:/.-]{1,12}", fullmatch=True), max_size=3))
        label = draw(st.sampled_from([None, "PER", "LOC", "ORG", "CLAIM"]))
        color = draw(st.sampled_from([None, "#fa0", "#12ab9f", "yellow"]))
        start = draw(st.integers(0, text_length - 40))
        length = draw(st.integers(1, 30))
        clock = {}
        for change in changes:
            for key, value in change["clock"].items():
                clock[key] = max(clock.get(key, 0), value)
        if action in ("edit", "delete") and mine:
            entity = draw(st.sampled_from(sorted(mine)))
            dot, _ = mine[entity]
            change = fresh_change(run, replica, seq, entity=entity, start=start, length=length, note=note or None,
                                  clock=clock, replaces=[dot], op="put" if action == "edit" else "delete",
                                  tags=tags, label=label, color=color)
        elif action == "edit-seeded":
            seeded = draw(st.sampled_from(run.annotations))
            clock[seeded["replica"]] = max(clock.get(seeded["replica"], 0), max(c["seq"] for c in run.before))
            replaces = [f"{seeded['replica']}:{seeded['seq']}"]
            op = "delete" if seeded["op"] == "delete" else "put"
            change = fresh_change(run, replica, seq, entity=seeded["entity"], start=start, length=length,
                                  note=note or None, clock=clock, replaces=replaces, op=op, tags=tags, label=label,
                                  color=color)
        else:
            change = fresh_change(run, replica, seq, start=start, length=length, note=note or None, clock=clock,
                                  tags=tags, label=label, color=color)
        if change["op"] == "put":
            mine[change["entity"]] = (f"{replica}:{seq}", change["clock"])
        else:
            mine.pop(change["entity"], None)
        changes.append(change)
    return changes


def test_valid_pushes(run: Run) -> None:
    """Well-formed batches from fresh replicas must be stored: 200 with exact counts, a
    retry is all duplicates, a batch split in two continues, gzip works, and the author
    is the token's user. These grow the corpus during the run."""

    @fuzz(run, 1.0)
    @given(changes=annotation_batches(run), token=st.sampled_from(["ayse-write", "bob-write", "admin"]),
           split=st.booleans(), retry=st.booleans(), gzip_body=st.booleans())
    def valid_push(changes, token, split, retry, gzip_body):
        replica = changes[0]["replica"]
        user = run.users[token]
        half = len(changes) // 2
        batches = [changes[:half], changes[half:]] if split and len(changes) > 1 else [changes]
        for batch in batches:
            answer = run.push("valid push", {"replica": replica, "changes": batch}, token=token, gzip_body=gzip_body,
                              expect=expect_push(len(batch), 0, batch[-1]["seq"]))
            if answer is None or answer.status != 200:
                return
            ack(run, batch, user)
        if retry:
            run.push("valid push retried (idempotent)", {"replica": replica, "changes": changes}, token=token,
                     expect=expect_push(0, len(changes), changes[-1]["seq"]))

    valid_push()

    # The pushes just acknowledged are in the pull, exactly as sent, author from the token.
    pulled = run.pull_all("valid push: pull back", token="ayse-read")
    if pulled is not None:
        by_dot = {(c["replica"], c["seq"]): c for c in pulled}
        for dot, expected in list(run.acked.items()):
            if expected is not None and by_dot.get(dot) != expected:
                run.fail(("valid push", "stored differently"), "valid push: stored change differs from the pushed one",
                         f"    dot: {dot[0]}:{dot[1]}\n    pushed (+author): {json.dumps(expected)[:600]}\n"
                         f"    pulled: {json.dumps(by_dot.get(dot))[:600]}")
