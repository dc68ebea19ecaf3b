"""Phase 1, setup: the data folder's corpora and tokens, and the server."""

from __future__ import annotations

import json

from fuzz_suite.checks import expect_status
from fuzz_suite.rawhttp import Request
from fuzz_suite.run import Run, SetupError

# The tokens the tests use: (name, corpus, user, scope). carol's is revoked while the server runs;
# doomed's go with their corpus when it is deleted over HTTP.
TOKENS = [("ayse-write", "news", "ayse", "write"), ("ayse-read", "news", "ayse", "read"),
          ("admin", "news", "root", "admin"), ("bob-write", "news", "bob", "write"),
          ("other-write", "other", "ayse", "write"), ("carol-revoked", "news", "carol", "write"),
          ("doomed-admin", "doomed", "root", "admin"), ("doomed-write", "doomed", "ayse", "write")]


def phase_setup(run: Run) -> None:
    """Data folder, corpora, tokens, and the server."""
    run.phase = "setup"
    for corpus in ("news", "other", "doomed"):
        run.server_tool("corpus", "create", corpus)
    for name, corpus, user, scope in TOKENS:
        run.tokens[name] = run.admin.create_token(corpus, user, scope)
        run.users[name] = user
    (run.tmp / "tokens.json").write_text(json.dumps(run.tokens, indent=2))
    run.start_server()
    answer = run.request("setup", Request("GET", "/v1/healthz", []), expect=expect_status(200))
    if answer is None or answer.status != 200:
        raise SetupError("the server does not answer /v1/healthz")
