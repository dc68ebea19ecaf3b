"""Changes mutated field by field (one to three mutations at once) pushed over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from fuzz_suite.adversarial.mutations import ANNOTATION_MUTATIONS, ARTICLE_MUTATIONS
from fuzz_suite.bodies import clone
from fuzz_suite.changes import ack, fresh_change
from fuzz_suite.checks import ACCEPT, EITHER, REFUSE, expect_push, expect_refused
from fuzz_suite.hypothesis_settings import fuzz
from fuzz_suite.run import Run


def mutation_groups(run: Run, kind: str, mutate: Callable) -> frozenset[str] | None:
    """The fields a mutation touches, by top-level name (`op` counts as `content` and
    `kind` as `entity`, since they are only valid together); None for a mutation that
    rewrites the raw body. Mutations of the same group are never combined: one could
    undo or complete the other (a delete without content is valid)."""
    base = fresh_change(run, "7" + "Z" * 25, 1, kind, entity="zz" * 13 if kind == "annotation" else "ab" * 16)
    mutated = mutate(run, clone(base))
    if isinstance(mutated, bytes):
        return None
    alias = {"op": "content", "kind": "entity"}
    touched = {alias.get(key, key) for key in set(base) | set(mutated) if base.get(key) != mutated.get(key)}
    return frozenset(touched) or None  # a mutation that changed nothing here runs only on its own


def test_mutated_changes(run: Run) -> None:
    """One change of a fresh replica, mutated field by field (one to three mutations of
    different fields): whatever breaks a documented rule must be refused with a 4xx;
    neutral mutations may be accepted (and must then be stored as sent); some must be
    accepted. Every mutation also runs once on its own."""

    def send(kind: str, mutations: list[tuple[str, str, Callable]], picks: list[int], gzip_body: bool) -> None:
        replica = run.new_replica()
        change = fresh_change(run, replica, 1, kind)
        names, verdicts = [], []
        body: Any = None
        for index in picks:
            name, verdict, mutate = mutations[index]
            result = mutate(run, change)
            names.append(name)
            verdicts.append(verdict)
            if isinstance(result, bytes):
                body = result
            else:
                change = result
        if body is None:
            body = {"replica": replica, "changes": [change]}
        variant = " + ".join(names)
        if REFUSE in verdicts:
            expect, verdict = expect_refused(), REFUSE
        elif ACCEPT in verdicts and EITHER not in verdicts:
            expect, verdict = expect_push(1, 0, 1), ACCEPT
        else:
            expect, verdict = (lambda a: None), EITHER
        answer = run.push(f"mutated {kind} change ({verdict})", body, gzip_body=gzip_body, expect=expect,
                          variant=variant)
        if answer is not None and 200 <= answer.status < 300 and isinstance(body, dict):
            ack(run, [change], "ayse", exact=verdict == ACCEPT)
            if verdict == EITHER:
                run.note(f"accepted (neutral mutation, stored): {variant}")

    def mutate_kind(kind: str, mutations: list[tuple[str, str, Callable]], weight: float) -> None:
        """Combined mutations of one kind of change, then each mutation on its own."""
        groups = [mutation_groups(run, kind, mutate) for _, _, mutate in mutations]

        def compatible(picks: list[int]) -> list[int]:
            """The picks, dropping any that touches a field an earlier one touched."""
            kept, seen = [], set()
            for index in picks:
                group = groups[index]
                if group is None:  # raw-body mutations only on their own
                    if not kept:
                        return [index]
                    continue
                if group & seen:
                    continue
                kept.append(index)
                seen |= group
            return kept

        @fuzz(run, weight)
        @given(picks=st.lists(st.sampled_from(range(len(mutations))), min_size=1, max_size=3, unique=True),
               gzip_body=st.booleans())
        def mutated_change(picks, gzip_body):
            send(kind, mutations, compatible(picks), gzip_body)

        mutated_change()
        for index in range(len(mutations)):
            send(kind, mutations, [index], False)

    for kind, mutations, weight in (("annotation", ANNOTATION_MUTATIONS, 5.0), ("article", ARTICLE_MUTATIONS, 1.0)):
        mutate_kind(kind, mutations, weight)
