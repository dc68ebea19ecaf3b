"""Push bodies broken at the JSON level, arbitrary bytes, and batches over the size limit."""

from __future__ import annotations

import random
from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from fuzz_suite.bodies import deep, encode
from fuzz_suite.changes import ack, fresh_change
from fuzz_suite.checks import expect_push, expect_refused, expect_status
from fuzz_suite.hypothesis_settings import fuzz
from fuzz_suite.run import Run


def _nested_in_content(raw: bytes, depth: int) -> bytes:
    """The body with arrays nested `depth` deep in an unknown content field."""
    return raw.replace(b'"a note"', b'"a note","x-deep":' + deep(depth), 1)


BODY_MUTATIONS: list[tuple[str, Callable[[bytes, dict], bytes]]] = [
    ("truncated JSON", lambda raw, body: raw[: len(raw) * 2 // 3]),
    ("truncated to one byte", lambda raw, body: raw[:1]),
    ("empty body", lambda raw, body: b""),
    ("random bytes", lambda raw, body: random.Random(len(raw)).randbytes(300)),
    ("invalid UTF-8 in a string", lambda raw, body: raw.replace(b"a note", b"a \xff\xfe note", 1)),
    ("overlong UTF-8 in a string", lambda raw, body: raw.replace(b"a note", b"a \xc0\xaf note", 1)),
    ("UTF-16 encoded", lambda raw, body: raw.decode().encode("utf-16")),
    ("raw control character in a string", lambda raw, body: raw.replace(b"a note", b"a\x01note", 1)),
    ("lone surrogate escape", lambda raw, body: raw.replace(b"a note", b"a \\ud800 note", 1)),
    ("single quotes", lambda raw, body: raw.replace(b'"', b"'")),
    ("trailing garbage", lambda raw, body: raw + b"}}"),
    ("two documents", lambda raw, body: raw + raw),
    ("trailing comma", lambda raw, body: raw[:-1] + b",}"),
    ("comment", lambda raw, body: b"/* hi */" + raw),
    ("depth 1000 arrays", lambda raw, body: deep(1000)),
    ("depth 100000 arrays", lambda raw, body: deep(100000)),
    ("depth 1000 objects", lambda raw, body: b'{"a":' * 1000 + b"1" + b"}" * 1000),
    ("depth 1000 in an unknown content field", lambda raw, body: _nested_in_content(raw, 1000)),
    ("depth 40 in an unknown content field", lambda raw, body: _nested_in_content(raw, 40)),
    ("depth 20 in an unknown content field", lambda raw, body: _nested_in_content(raw, 20)),
    ("body an array", lambda raw, body: b"[" + raw + b"]"),
    ("body a string", lambda raw, body: b'"push"'),
    ("body null", lambda raw, body: b"null"),
    ("body a number", lambda raw, body: b"1"),
    ("body replica missing", lambda raw, body: encode({"changes": body["changes"]})),
    ("body replica lowercase", lambda raw, body: encode({**body, "replica": body["replica"].lower()})),
    ("body replica number", lambda raw, body: encode({**body, "replica": 1})),
    ("body changes missing", lambda raw, body: encode({"replica": body["replica"]})),
    ("body changes an object", lambda raw, body: encode({"replica": body["replica"], "changes": body["changes"][0]})),
    ("body changes null", lambda raw, body: encode({"replica": body["replica"], "changes": None})),
    ("body changes holds a number", lambda raw, body: encode({"replica": body["replica"], "changes": [1]})),
    ("body changes holds null", lambda raw, body: encode({"replica": body["replica"], "changes": [None]})),
    ("NaN in the body", lambda raw, body: raw.replace(b"{", b'{"x":NaN,', 1)),
    ("Infinity in content", lambda raw, body: raw.replace(b'"a note"', b"Infinity", 1)),
    ("1e400 in content", lambda raw, body: raw.replace(b'"a note"', b"1e400", 1)),
    ("-0 and 1E+2 in content (valid JSON)", lambda raw, body: raw.replace(b'"a note"', b"[-0,1E+2,0.5e-3]", 1)),
]


# Everything else in BODY_MUTATIONS must be refused.
BODY_EITHER = {"duplicate key with the same value", "duplicate key with another value", "BOM before the body",
               "lone surrogate escape", "-0 and 1E+2 in content (valid JSON)"}
BODY_ACCEPT = {"depth 20 in an unknown content field"}  # nesting up to 32 is allowed (docs/protocol.md)


def _duplicate_keys(raw: bytes, body: dict, same: bool) -> bytes:
    replica = body["replica"] if same else "0" * 26
    return b'{"replica":"' + replica.encode() + b'",' + raw[1:]


def test_mutated_bodies(run: Run) -> None:
    """Whole push bodies broken at the JSON level: must be refused (400/413/415/422),
    with a few documented-neutral exceptions (duplicate keys, BOM, ...)."""
    mutations = BODY_MUTATIONS + [
        ("duplicate key with the same value", lambda raw, body: _duplicate_keys(raw, body, True)),
        ("duplicate key with another value", lambda raw, body: _duplicate_keys(raw, body, False)),
        ("BOM before the body", lambda raw, body: b"\xef\xbb\xbf" + raw),
    ]

    def one(name: str, mutate: Callable, gzip_body: bool) -> None:
        replica = run.new_replica()
        change = fresh_change(run, replica, 1)
        body = {"replica": replica, "changes": [change]}
        raw = mutate(encode(body), body)
        if name in BODY_ACCEPT:
            expect, what = expect_push(1, 0, 1), " (valid)"
        elif name in BODY_EITHER:
            expect, what = (lambda a: None), " (neutral)"
        else:
            expect, what = expect_refused(), ""
        answer = run.push("broken push body" + what, raw, gzip_body=gzip_body, expect=expect, variant=name)
        if answer is not None and 200 <= answer.status < 300:
            ack(run, [change], "ayse", exact=False)
            if name not in BODY_ACCEPT:
                run.note(f"accepted: push body with {name}")

    @fuzz(run, 1.0)
    @given(index=st.sampled_from(range(len(mutations))), gzip_body=st.booleans())
    def mutated_body(index, gzip_body):
        one(mutations[index][0], mutations[index][1], gzip_body)

    mutated_body()
    for name, mutate in mutations:
        one(name, mutate, False)

    # Arbitrary bytes and arbitrary JSON values are never a valid push.
    @fuzz(run, 1.0)
    @given(data=st.one_of(st.binary(max_size=512), st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=20).map(encode)))
    def random_body(data):
        run.push("random push body", data, expect=expect_refused())

    random_body()

    # 10,001 changes: too many for one batch (413 too_large, documented); 10,000 is fine
    # (sent to corpus `other`, to keep the final sync of `news` short).
    replica = run.new_replica()
    changes = [fresh_change(run, replica, seq, note=None) for seq in range(1, 10002)]
    run.push("10001 changes in one batch", {"replica": replica, "changes": changes},
             expect=expect_status(413, codes=["too_large"]))
    run.push("10000 changes in one batch", {"replica": replica, "changes": changes[:10000]}, token="other-write",
             corpus="other", expect=expect_push(10000, 0, 10000))
