"""Content-Encoding: gzip accepted, broken gzip and other codings refused, gzip bombs."""

from __future__ import annotations

import zlib

from hypothesis import given
from hypothesis import strategies as st

from fuzz_suite.bodies import encode, gzip_bomb, gzip_bytes
from fuzz_suite.changes import ack, fresh_change
from fuzz_suite.checks import ACCEPT, EITHER, REFUSE, expect_push, expect_refused, expect_status
from fuzz_suite.hypothesis_settings import fuzz
from fuzz_suite.rawhttp import Answer, Request
from fuzz_suite.run import Run
from fuzz_suite.spec import CHANGES

ENCODINGS = {
    # name: (Content-Encoding value, body transform, verdict)
    "gzip": ("gzip", gzip_bytes, ACCEPT),
    "GZIP (content codings are case-insensitive)": ("GZIP", gzip_bytes, ACCEPT),
    "identity": ("identity", lambda raw: raw, ACCEPT),
    "x-gzip": ("x-gzip", gzip_bytes, EITHER),
    "gzip twice": ("gzip, gzip", lambda raw: gzip_bytes(gzip_bytes(raw)), EITHER),
    "gzip declared, body plain": ("gzip", lambda raw: raw, REFUSE),
    "gzip truncated": ("gzip", lambda raw: gzip_bytes(raw)[:-20], REFUSE),
    "gzip bad magic": ("gzip", lambda raw: b"\x1f\x8c" + gzip_bytes(raw)[2:], REFUSE),
    "gzip bad method": ("gzip", lambda raw: gzip_bytes(raw)[:2] + b"\x07" + gzip_bytes(raw)[3:], REFUSE),
    "gzip corrupted deflate data": ("gzip", lambda raw: _flip(gzip_bytes(raw), 14), REFUSE),
    "gzip wrong CRC": ("gzip", lambda raw: gzip_bytes(raw)[:-8] + b"\0\0\0\0" + gzip_bytes(raw)[-4:], EITHER),
    "gzip trailing garbage": ("gzip", lambda raw: gzip_bytes(raw) + b"garbage", EITHER),
    "zlib (deflate) sent as gzip": ("gzip", lambda raw: zlib.compress(raw), REFUSE),
    "gzip empty": ("gzip", lambda raw: b"", REFUSE),
    "deflate": ("deflate", lambda raw: zlib.compress(raw), REFUSE),
    "br": ("br", lambda raw: raw, REFUSE),
    "compress": ("compress", lambda raw: raw, REFUSE),
    "zstd": ("zstd", lambda raw: raw, REFUSE),
    "made-up": ("fancy-zip", lambda raw: raw, REFUSE),
    "empty value": ("", lambda raw: raw, EITHER),
}


def _flip(data: bytes, offset: int) -> bytes:
    position = min(offset, len(data) - 9)
    return data[:position] + bytes([data[position] ^ 0x5A]) + data[position + 1:]


def test_encodings(run: Run) -> None:
    """Content-Encoding: gzip accepted; broken gzip refused (400); other codings refused
    (415 unsupported_encoding); a 1 GiB gzip bomb refused (413) without the server
    inflating it."""

    def one(name: str) -> None:
        value, transform, verdict = ENCODINGS[name]
        replica = run.new_replica()
        change = fresh_change(run, replica, 1, note="x" * 40)
        raw = transform(encode({"replica": replica, "changes": [change]}))
        if verdict == ACCEPT:
            expect = expect_push(1, 0, 1)
        elif verdict == REFUSE:
            expect = expect_refused(415) if value not in ("gzip",) else expect_refused(400, 413, 422)
        else:
            def expect(answer: Answer) -> None:   # either way is right
                return None
        answer = run.request(f"content encoding ({verdict})", Request(
            "POST", CHANGES.format("news"), run.headers(content_type="application/json",
                                                         extra=[("Content-Encoding", value)]), raw),
            expect=expect, variant=name)
        if answer is not None and 200 <= answer.status < 300:
            ack(run, [change], "ayse", exact=verdict == ACCEPT)
            if verdict == EITHER:
                run.note(f"accepted: Content-Encoding case '{name}'")

    @fuzz(run, 1.0)
    @given(name=st.sampled_from(sorted(ENCODINGS)))
    def encoding(name):
        one(name)

    encoding()
    for name in ENCODINGS:
        one(name)

    # A response is gzip-compressed when asked for, and is the same page.
    plain = run.request("gzip answer", Request("GET", f"{CHANGES.format('news')}?after=0&limit=50", run.headers()),
                        expect=expect_status(200))
    zipped = run.request("gzip answer", Request("GET", f"{CHANGES.format('news')}?after=0&limit=50",
                                                run.headers(extra=[("Accept-Encoding", "gzip")])),
                         expect=expect_status(200))
    if plain is not None and zipped is not None and plain.status == zipped.status == 200:
        if zipped.headers.get("content-encoding") != "gzip" and len(plain.body) > 1024:
            run.fail(("gzip answer", "not compressed"), "gzip answer: Accept-Encoding: gzip ignored",
                     f"    answer headers: {zipped.headers}")
        elif zipped.json() != plain.json():
            run.fail(("gzip answer", "differs"), "gzip answer: decompressed page differs from the plain one", "")

    # The bomb: 1 GiB of zeros in about 1 MiB of gzip, streamed.
    run.request("gzip bomb (1 GiB)", Request("POST", CHANGES.format("news"), run.headers(
        content_type="application/json", extra=[("Content-Encoding", "gzip")]), None,
        body_note="gzip of 1 GiB of zeros (about 1 MiB, chunked)"),
        chunks=gzip_bomb(1), expect=expect_status(413, codes=["too_large"]), timeout=120)
    run.request("gzip bomb (1 GiB) with Content-Length", Request("POST", CHANGES.format("news"), run.headers(
        content_type="application/json", extra=[("Content-Encoding", "gzip")]), b"".join(gzip_bomb(1))),
        expect=expect_status(413, codes=["too_large"]), timeout=120)
    # Just over the decompressed limit, as valid JSON (whitespace).
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    spaces = b" " * (1 << 20)
    over = compressor.compress(b'{"replica":"' + run.new_replica().encode() + b'","changes":[]}')
    over += b"".join(compressor.compress(spaces) for _ in range(65)) + compressor.flush()
    run.request("gzip of 65 MiB", Request("POST", CHANGES.format("news"), run.headers(
        content_type="application/json", extra=[("Content-Encoding", "gzip")]), over),
        expect=expect_status(413, codes=["too_large"]), timeout=60)
    peak = server_peak_memory(run)
    if peak is not None and peak > 1 << 30:
        run.fail(("gzip bomb", "memory"), "gzip bomb: the server's memory peaked over 1 GiB",
                 f"    VmHWM: {peak >> 20} MiB")
    elif peak is not None:
        run.note(f"server memory peak (VmHWM) after the gzip bombs: {peak >> 20} MiB")


def server_peak_memory(run: Run) -> int | None:
    """The server process's peak resident memory (VmHWM) in bytes, if /proc tells."""
    kib = run.server.peak_rss_kib() if run.server is not None else None
    return kib * 1024 if kib is not None else None
