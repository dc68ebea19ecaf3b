"""Mutations of a single change, field by field, each with the verdict the protocol gives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fuzz_suite.bodies import encode, nfd
from fuzz_suite.checks import ACCEPT, EITHER, REFUSE
from fuzz_suite.run import Run

# Each entry of the tables below is (name, verdict, function of (run, change) -> change or raw
# bytes of the whole body); the verdicts are checks.REFUSE, ACCEPT and EITHER.


def set_path(path: str, value: Any) -> Callable[[Run, dict], dict]:
    """A mutation setting the field at a dotted path (e.g. content.target.start)."""
    def mutate(run: Run, change: dict) -> dict:
        target = change
        keys = path.split(".")
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = value
        return change

    return mutate


def drop_path(path: str) -> Callable[[Run, dict], dict]:
    """A mutation removing the field at a dotted path."""
    def mutate(run: Run, change: dict) -> dict:
        target = change
        keys = path.split(".")
        for key in keys[:-1]:
            target = target.get(key, {})
        target.pop(keys[-1], None)
        return change

    return mutate


def _own_clock(value: Any) -> Callable[[Run, dict], dict]:
    def mutate(run: Run, change: dict) -> dict:
        change["clock"][change["replica"]] = value
        return change

    return mutate


def _clock_extra(key: Callable[[Run, dict], str], value: Any) -> Callable[[Run, dict], dict]:
    def mutate(run: Run, change: dict) -> dict:
        change["clock"][key(run, change)] = value
        return change

    return mutate


def _raw_number(field_name: str, literal: str) -> Callable[[Run, dict], bytes]:
    """The body with a number field replaced by a literal (NaN, Infinity, 1e400, ...)."""

    def mutate(run: Run, change: dict) -> bytes:
        change[field_name] = 7777777
        body = encode({"replica": change["replica"], "changes": [change]})
        return body.replace(b"7777777", literal.encode(), 1)

    return mutate


def _raw_own_clock(literal: str) -> Callable[[Run, dict], bytes]:
    def mutate(run: Run, change: dict) -> bytes:
        change["clock"][change["replica"]] = 7777777
        body = encode({"replica": change["replica"], "changes": [change]})
        return body.replace(b"7777777", literal.encode(), 1)

    return mutate


def _non_nfc_exact(run: Run, change: dict) -> dict:
    target = change["content"]["target"]
    exact = "DEAŞ"
    decomposed = nfd(exact)
    target["exact"] = decomposed
    target["end"] = target["start"] + len(decomposed)
    return change


def _swap_kind(run: Run, change: dict) -> dict:
    change["kind"] = "article" if change["kind"] == "annotation" else "annotation"
    return change


def _other_replica(run: Run, change: dict) -> dict:
    other = run.new_replica()
    change["clock"] = {other: change["seq"]}
    change["replica"] = other
    return change


def _replaces_unseen(run: Run, change: dict) -> dict:
    change["replaces"] = [f"{run.new_replica()}:5"]
    return change


def _replaces_self(run: Run, change: dict) -> dict:
    change["replaces"] = [f"{change['replica']}:{change['seq']}"]
    return change


def _delete_with_content(run: Run, change: dict) -> dict:
    change["op"] = "delete"
    return change


def _put_without_content(run: Run, change: dict) -> dict:
    change.pop("content", None)
    return change


def _unknown_content_field(run: Run, change: dict) -> dict:
    change["content"]["x-future-field"] = {"nested": [1, "two", None, True], "note": "kept and passed on"}
    return change


def _author_forged(run: Run, change: dict) -> dict:
    change["author"] = "mallory"
    return change


def _knows_seeded_2(run: Run, change: dict) -> dict:
    """The change's clock names the seeded replica's seq 2 (which the corpus holds)."""
    return _clock_extra(lambda r, x: r.seed_replica, 2)(run, change)


def _edit_seeded(run: Run, change: dict) -> dict:
    """A concurrent-looking edit of a seeded annotation: replaces the seeded version."""
    seeded = run.annotations[0]
    change["entity"] = seeded["entity"]
    change["replaces"] = [f"{seeded['replica']}:{seeded['seq']}"]
    change["clock"] = {seeded["replica"]: max(c["seq"] for c in run.before), change["replica"]: change["seq"]}
    return change


ANNOTATION_MUTATIONS: list[tuple[str, str, Callable]] = [
    # replica
    ("replica lowercase", REFUSE, lambda run, c: set_path("replica", c["replica"].lower())(run, c)),
    ("replica 25 chars", REFUSE, lambda run, c: set_path("replica", c["replica"][:25])(run, c)),
    ("replica 27 chars", REFUSE, lambda run, c: set_path("replica", c["replica"] + "0")(run, c)),
    ("replica with U", REFUSE, lambda run, c: set_path("replica", "U" + c["replica"][1:])(run, c)),
    ("replica first char 8", REFUSE, lambda run, c: set_path("replica", "8" + c["replica"][1:])(run, c)),
    ("replica with I for 1", REFUSE,
     lambda run, c: set_path("replica", c["replica"][:5] + "I" + c["replica"][6:])(run, c)),
    ("replica number", REFUSE, set_path("replica", 12345)),
    ("replica null", REFUSE, set_path("replica", None)),
    ("replica of another replica (forged dot)", REFUSE, _other_replica),
    # seq
    ("seq 0", REFUSE, set_path("seq", 0)),
    ("seq -1", REFUSE, set_path("seq", -1)),
    ("seq 2 for a fresh replica (gap)", REFUSE, lambda run, c: _own_clock(2)(run, set_path("seq", 2)(run, c))),
    ("seq 2**63-1 (gap)", REFUSE, lambda run, c: _own_clock(2**63 - 1)(run, set_path("seq", 2**63 - 1)(run, c))),
    ("seq 2**64", REFUSE, lambda run, c: _own_clock(2**64)(run, set_path("seq", 2**64)(run, c))),
    ("seq string", REFUSE, set_path("seq", "1")),
    ("seq 1.5", REFUSE, set_path("seq", 1.5)),
    ("seq null", REFUSE, set_path("seq", None)),
    ("seq true", REFUSE, set_path("seq", True)),
    ("seq array", REFUSE, set_path("seq", [1])),
    ("seq NaN", REFUSE, _raw_number("seq", "NaN")),
    ("seq Infinity", REFUSE, _raw_number("seq", "Infinity")),
    ("seq -Infinity", REFUSE, _raw_number("seq", "-Infinity")),
    ("seq 1e400", REFUSE, _raw_number("seq", "1e400")),
    ("seq 1.0", EITHER, _raw_number("seq", "1.0")),
    ("seq 1e0", EITHER, _raw_number("seq", "1e0")),
    # kind / entity / op
    ("kind Article", REFUSE, set_path("kind", "Article")),
    ("kind comment", REFUSE, set_path("kind", "comment")),
    ("kind empty", REFUSE, set_path("kind", "")),
    ("kind number", REFUSE, set_path("kind", 1)),
    ("kind swapped (entity id of the other kind)", REFUSE, _swap_kind),
    ("entity uppercase", REFUSE, lambda run, c: set_path("entity", c["entity"].upper())(run, c)),
    ("entity 25 chars", REFUSE, lambda run, c: set_path("entity", c["entity"][:25])(run, c)),
    ("entity 27 chars", REFUSE, lambda run, c: set_path("entity", c["entity"] + "0")(run, c)),
    ("entity empty", REFUSE, set_path("entity", "")),
    ("entity with u", REFUSE, lambda run, c: set_path("entity", "u" + c["entity"][1:])(run, c)),
    ("entity number", REFUSE, set_path("entity", 7)),
    ("entity path traversal", REFUSE, set_path("entity", "../../../../etc/passwd")),
    ("op PUT", REFUSE, set_path("op", "PUT")),
    ("op update", REFUSE, set_path("op", "update")),
    ("op null", REFUSE, set_path("op", None)),
    ("op delete with content", REFUSE, _delete_with_content),
    ("op put without content", REFUSE, _put_without_content),
    ("content null on a put", REFUSE, set_path("content", None)),
    # clock
    ("clock empty", REFUSE, set_path("clock", {})),
    ("clock own entry 0", REFUSE, _own_clock(0)),
    ("clock own entry -1", REFUSE, _own_clock(-1)),
    ("clock own entry 1.5", REFUSE, _own_clock(1.5)),
    ("clock own entry string", REFUSE, _own_clock("1")),
    ("clock own entry null", REFUSE, _own_clock(None)),
    ("clock own entry beyond its seq", REFUSE, _own_clock(2)),
    ("clock own entry NaN", REFUSE, _raw_own_clock("NaN")),
    ("clock own entry 1e400", REFUSE, _raw_own_clock("1e400")),
    ("clock own entry 1.0", EITHER, _raw_own_clock("1.0")),
    ("clock an array", REFUSE, set_path("clock", [1])),
    ("clock a string", REFUSE, set_path("clock", "x")),
    ("clock null", REFUSE, set_path("clock", None)),
    ("clock entry with a lowercase replica key", REFUSE, _clock_extra(lambda run, c: run.new_replica().lower(), 1)),
    ("clock entry with a non-replica key", REFUSE, _clock_extra(lambda run, c: "not-a-replica", 1)),
    ("clock entry 0 for another replica", REFUSE, _clock_extra(lambda run, c: run.new_replica(), 0)),
    ("clock entry negative for another replica", REFUSE, _clock_extra(lambda run, c: run.new_replica(), -3)),
    # docs/protocol.md, "Causality": a clock names other replicas only up to what the corpus holds (422 unseen_dot).
    ("clock entry for a replica the corpus never saw", REFUSE, _clock_extra(lambda run, c: run.new_replica(), 5)),
    ("clock entry beyond the seeded replica's max seq", REFUSE,
     lambda run, c: _clock_extra(lambda run, c: run.seed_replica, max(x["seq"] for x in run.before) + 1)(run, c)),
    ("clock entry of 2**63-1 for the seeded replica", REFUSE, _clock_extra(lambda run, c: run.seed_replica, 2**63 - 1)),
    ("clock entry within the seeded replica's seqs", ACCEPT, _clock_extra(lambda run, c: run.seed_replica, 2)),
    # replaces
    ("replaces a string", REFUSE, set_path("replaces", "garbage")),
    ("replaces garbage item", REFUSE, set_path("replaces", ["x"])),
    ("replaces number item", REFUSE, set_path("replaces", [123])),
    ("replaces null", REFUSE, set_path("replaces", None)),
    ("replaces its own dot", REFUSE, _replaces_self),
    ("replaces a dot its clock lacks", REFUSE, _replaces_unseen),
    ("replaces dot with seq 0", REFUSE, lambda run, c: set_path("replaces", [f"{c['replica']}:0"])(run, c)),
    ("replaces dot without seq", REFUSE, lambda run, c: set_path("replaces", [c["replica"]])(run, c)),
    ("replaces a seeded version (concurrent edit)", ACCEPT, _edit_seeded),
    # docs/openapi.yaml, Dot: "^[0-7][0-9A-HJKMNP-TV-Z]{25}:[1-9][0-9]*$"
    ("replaces a dot with a lowercase replica id (violates its pattern)", REFUSE,
     lambda run, c: set_path("replaces", [f"{run.seed_replica.lower()}:2"])(run, _knows_seeded_2(run, c))),
    ("replaces a dot with seq +2 (violates its pattern)", REFUSE,
     lambda run, c: set_path("replaces", [f"{run.seed_replica}:+2"])(run, _knows_seeded_2(run, c))),
    ("replaces a dot with seq 02 (violates its pattern)", REFUSE,
     lambda run, c: set_path("replaces", [f"{run.seed_replica}:02"])(run, _knows_seeded_2(run, c))),
    # time
    ("time word", REFUSE, set_path("time", "abc")),
    ("time empty", REFUSE, set_path("time", "")),
    ("time number", REFUSE, set_path("time", 1764175246805.0)),
    ("time 1.2.3", REFUSE, set_path("time", "1.2.3")),
    ("time negative", REFUSE, set_path("time", "-1.0")),
    ("time without counter", REFUSE, set_path("time", "1764175246805")),
    ("time with plus sign (violates its pattern)", REFUSE, set_path("time", "+1764175246805.+0")),
    ("time -0.0 (violates its pattern)", REFUSE, set_path("time", "-0.0")),
    ("time fullwidth digits", REFUSE, set_path("time", "１.０")),
    ("time huge counter", EITHER, set_path("time", "1.99999999999")),
    ("time huge wall", EITHER, set_path("time", "99999999999999999999.0")),
    ("time leading zeros", EITHER, set_path("time", "0001764175246805.0")),
    # missing fields (all required by docs/openapi.yaml)
    *[(f"missing {name}", REFUSE, drop_path(name))
      for name in ("replica", "seq", "kind", "entity", "op", "clock", "replaces", "time")],
    # content of an annotation
    ("content a string", REFUSE, set_path("content", "text")),
    ("content an array", REFUSE, set_path("content", [1, 2])),
    ("content a number", REFUSE, set_path("content", 5)),
    ("content without article", REFUSE, drop_path("content.article")),
    ("content article not an id", REFUSE, set_path("content.article", "not-an-article")),
    ("content without target", REFUSE, drop_path("content.target")),
    ("content target a string", REFUSE, set_path("content.target", "36-49")),
    ("selector start negative", REFUSE, set_path("content.target.start", -1)),
    ("selector end before start", REFUSE,
     lambda run, c: set_path("content.target.end", c["content"]["target"]["start"] - 1)(run, c)),
    ("selector empty span", REFUSE,
     lambda run, c: set_path("content.target.end", c["content"]["target"]["start"])(run, c)),
    ("selector length differs from its quote", REFUSE,
     lambda run, c: set_path("content.target.end", c["content"]["target"]["end"] + 3)(run, c)),
    ("selector start a string", REFUSE, set_path("content.target.start", "36")),
    ("selector without exact", REFUSE, drop_path("content.target.exact")),
    ("selector without start", REFUSE, drop_path("content.target.start")),
    ("selector exact not NFC", REFUSE, _non_nfc_exact),
    ("selector beyond the article's end", EITHER,
     lambda run, c: set_path("content.target", {"exact": "zz", "prefix": "", "suffix": "", "start": 10**9,
                                                "end": 10**9 + 2})(run, c)),
    ("selector prefix not NFC", EITHER, set_path("content.target.prefix", nfd("güvenlik güçleri "))),
    ("note not NFC", REFUSE, set_path("content.note", nfd("Musul'daki çatışmalar"))),
    ("note a number", REFUSE, set_path("content.note", 5)),
    ("tags not an array", REFUSE, set_path("content.tags", "city")),
    ("tags with a number", REFUSE, set_path("content.tags", [1])),
    ("tag with a space", REFUSE, set_path("content.tags", ["two words"])),
    ("tag empty", REFUSE, set_path("content.tags", [""])),
    ("tag of 65 characters", REFUSE, set_path("content.tags", ["t" * 65])),
    ("label with a space", REFUSE, set_path("content.label", "NOT VALID")),
    ("color #12", REFUSE, set_path("content.color", "#12")),
    ("color #ggg", REFUSE, set_path("content.color", "#ggg")),
    ("color Red", REFUSE, set_path("content.color", "Red")),
    ("tag not NFC", EITHER, set_path("content.tags", [nfd("şehir")])),
    ("unknown content field", ACCEPT, _unknown_content_field),
    ("_conflicts content field", EITHER, set_path("content._conflicts", {"note": ["a", "b"]})),
    ("author forged", ACCEPT, _author_forged),
    ("author a number", EITHER, set_path("author", 5)),
    ("extra change field", EITHER, set_path("x-extra", [1, 2, 3])),
    ("note of 100001 characters", EITHER, set_path("content.note", "n" * 100001)),
    ("note with NUL and controls", EITHER, set_path("content.note", "a\x00b\x01c\u2028d\ufeff")),
    ("note with astral characters", ACCEPT, set_path("content.note", "𝔊𝔩𝔬𝔰𝔰 🗺️ 𓂀")),
]


ARTICLE_MUTATIONS: list[tuple[str, str, Callable]] = [
    ("article text empty", REFUSE, set_path("content.text", "")),
    ("article without text", REFUSE, drop_path("content.text")),
    ("article text a number", REFUSE, set_path("content.text", 12)),
    ("article text not NFC", REFUSE, set_path("content.text", nfd("Irak güvenlik güçleri Musul'da ilerliyor"))),
    ("article title not NFC", REFUSE, set_path("content.title", nfd("Musul'da çatışmalar"))),
    ("article date 2016-13", REFUSE, set_path("content.date", "2016-13")),
    ("article date free text", REFUSE, set_path("content.date", "December 2016")),
    ("article tag with a space", REFUSE, set_path("content.tags", ["two words"])),
    ("article entity uppercase hex", REFUSE, lambda run, c: set_path("entity", c["entity"].upper())(run, c)),
    ("article entity 31 hex digits", REFUSE, lambda run, c: set_path("entity", c["entity"][:31])(run, c)),
    ("article entity not hex", REFUSE, lambda run, c: set_path("entity", "g" + c["entity"][1:])(run, c)),
    ("article unknown field", ACCEPT, set_path("content.x-future", {"kept": True})),
    ("article id not the text's hash", EITHER, set_path("entity", "0" * 32)),
    ("article delete", ACCEPT, lambda run, c: _put_without_content(run, set_path("op", "delete")(run, c))),
]
