"""Well-formed changes of fresh replicas, and the record of acknowledged ones that the
final phase looks for."""

from __future__ import annotations

from typing import Any

from fuzz_suite.bodies import article_id, clone, selector
from fuzz_suite.run import Run


def fresh_change(run: Run, replica: str, seq: int = 1, kind: str = "annotation", *, entity: str | None = None,
                 start: int = 36, length: int = 13, note: str | None = "a note", clock: dict | None = None,
                 replaces: list[str] | None = None, op: str = "put", tags: list[str] | None = None,
                 label: str | None = None, color: str | None = None) -> dict:
    """A well-formed change of `replica`: an annotation on the seeded article, or a new article."""
    text = run.article["content"]["text"]
    change: dict[str, Any] = {
        "clock": dict(clock or {}), "kind": kind, "op": op, "replaces": sorted(replaces or []), "replica": replica,
        "seq": seq, "time": f"{1764175246805 + seq}.0",
    }
    change["clock"][replica] = seq
    if kind == "annotation":
        change["entity"] = entity or run.new_annotation_id()
        if op == "put":
            start = max(0, min(start, len(text) - 2))
            end = min(len(text), start + max(1, length))
            content = {"article": run.article["entity"], "tags": sorted(set(tags or [])),
                       "target": selector(text, start, end), "created": "2026-11-26T18:33:20Z"}
            if note is not None:
                content["note"] = note
            if label:
                content["label"] = label
            if color:
                content["color"] = color
            change["content"] = content
    else:
        body = f"Fuzz article {replica} {seq}.\n\nA short text for the fuzz suite."
        change["entity"] = entity or article_id(body)
        if op == "put":
            change["content"] = {"date": "2016-12", "language": "en", "tags": [], "text": body,
                                 "title": f"Fuzz {replica}"}
    return change


def expected_stored(change: dict, user: str) -> dict:
    """A pushed change as a pull must return it: the author set from the token's user."""
    stored = clone(change)
    stored["author"] = user
    return stored


def ack(run: Run, changes: list[dict], user: str, exact: bool = True) -> None:
    """Remembers acknowledged changes, to check in the final phase that they are stored."""
    with run.lock:
        for change in changes:
            run.acked[(change["replica"], change["seq"])] = expected_stored(change, user) if exact else None
