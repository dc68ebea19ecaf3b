"""Unknown paths and methods, very long URLs and headers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fuzz_suite.bodies import encode
from fuzz_suite.checks import expect_status
from fuzz_suite.hypothesis_settings import fuzz
from fuzz_suite.rawhttp import Request
from fuzz_suite.run import Run
from fuzz_suite.spec import CHANGES

PATHS = ["/", "/v1", "/v1/", "/v1/corpora", "/v1/corpora/", "/v1/corpora/news", "/v1/corpora/news/",
         "/v1/corpora/news/changes/", "/v1/corpora/news/changes/1", "/v1/corpora//changes", "/v1/corpora/news//changes",
         "/v1/corpora/%2e%2e/changes", "/v1/corpora/news%2Fchanges", "/v1/corpora/../corpora/news/changes",
         "/V1/healthz", "/v1/healthz/", "/v1/HEALTHZ", "/v2/corpora/news/changes", "/metrics/", "/metric",
         "/v1/corpora/news/changes%00", "/v1/corpora/%F0%9F%97%BA/changes", "/v1/corpora/news%20/changes",
         "/v1/corpora/" + "n" * 65 + "/changes", "/v1/corpora/news/changes;x=1", "/.env", "/index.html",
         "/v1/corpora/news/changes", "/v1/healthz", "/metrics", "*"]
# CONNECT is sent raw, by the framing tests.
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "FOO"]


def test_paths_and_methods(run: Run) -> None:
    """Unknown paths and methods: never a 5xx, and refusals carry the JSON error body
    (docs/protocol.md: every refusal is a 4xx with {"error": {...}})."""

    @fuzz(run, 2.0)
    @given(method=st.sampled_from(METHODS), path=st.one_of(st.sampled_from(PATHS), st.from_regex(
        r"/v1/corpora/[A-Za-z0-9._~%-]{0,20}(/[A-Za-z0-9._~-]{0,10}){0,3}", fullmatch=True)),
        with_body=st.booleans())
    def path_and_method(method, path, with_body):
        if path == "*" and method != "OPTIONS":
            path = "/v1/healthz"
        body = encode({"replica": run.new_replica(), "changes": []}) if with_body else None
        headers = run.headers(content_type="application/json" if with_body else None)
        documented = {("GET", "/v1/healthz"), ("GET", "/metrics")} | {(m, p) for m in ("GET", "POST") for p in (
            "/v1/corpora/news/changes",)}
        expect = None
        if (method, path) in documented and method == "GET" and path != "/v1/corpora/news/changes":
            expect = expect_status(200)
        run.request("paths and methods", Request(method, path, headers, body), expect=expect,
                    variant=f"{method} {path[:80]}")

    path_and_method()
    for method in METHODS:
        for path in ("/v1/healthz", "/metrics", "/v1/corpora/news/changes", "/nope"):
            run.request("paths and methods", Request(method, path, run.headers()), variant=f"{method} {path}")


def test_long_urls_and_headers(run: Run) -> None:
    """Very long URLs, query strings and headers: a clean 4xx (414/431 or 400 with the
    error body), or 200 where the server chooses to serve them; the server lives on."""
    for name, target, headers in (
        ("path of 8 KiB", "/v1/corpora/" + "n" * 8192 + "/changes", run.headers()),
        ("path of 64 KiB", "/" + "a" * 65536, run.headers()),
        ("path of 1 MiB", "/" + "a" * (1 << 20), run.headers()),
        ("query of 8 KiB", CHANGES.format("news") + "?after=0&" + "x=1&" * 2048, run.headers()),
        ("query of 1 MiB", CHANGES.format("news") + "?after=0&" + "x=1&" * (1 << 18), run.headers()),
        ("10000 repeated after=", CHANGES.format("news") + "?" + "after=1&" * 10000, run.headers()),
        ("header of 64 KiB", CHANGES.format("news"), run.headers(extra=[("X-Filler", "f" * 65536)])),
        ("header of 1 MiB", CHANGES.format("news"), run.headers(extra=[("X-Filler", "f" * (1 << 20))])),
        ("1000 headers", CHANGES.format("news"), run.headers(extra=[(f"X-H{i}", "v") for i in range(1000)])),
        ("Authorization of 1 MiB", CHANGES.format("news"),
         run.headers(None, extra=[("Authorization", "Bearer " + "t" * (1 << 20))])),
    ):
        run.request("long URLs and headers", Request("GET", target, headers), variant=name, allow_no_answer=True,
                    timeout=30)
        run.request("long URLs and headers: still alive", Request("GET", "/v1/healthz", []), expect=expect_status(200),
                    variant=f"after {name}")
