"""Phase 4, adversarial: Hypothesis-driven abuse over raw HTTP, one module per topic.

  valid_pushes       well-formed batches from fresh replicas (the corpus grows)
  mutations          the table of single-field mutations of a change, with verdicts
  mutated_changes    those mutations pushed, one to three at once
  broken_bodies      JSON broken as a whole, arbitrary bytes, batches over the limit
  dots               forged dots, replica ownership, seq rules
  causality          unseen dots, clocks going backwards
  tokens             protocol header x credentials x corpus; revoked, cross-corpus, read tokens
  admin_routes       scopes, token create/list/revoke, deleting a corpus while pushes race it
  content_encodings  gzip, broken gzip, other codings, gzip bombs
  content_limits     very long strings and bodies over the size limit
  pulls              pull query strings, paging, long polls
  paths_and_methods  unknown paths and methods, very long URLs and headers
  framing            broken HTTP/1.1 framing on raw sockets
  concurrency        concurrent pushes with a puller following the cursor

The tests run in the order of phase_adversarial's list: replica ids and Hypothesis draw
from seeded generators, so the order is part of what makes a run reproducible.
"""

from __future__ import annotations

import time

from fuzz_suite.adversarial.admin_routes import test_admin_routes
from fuzz_suite.adversarial.broken_bodies import test_mutated_bodies
from fuzz_suite.adversarial.causality import test_causality
from fuzz_suite.adversarial.concurrency import test_concurrent_pushes
from fuzz_suite.adversarial.content_encodings import test_encodings
from fuzz_suite.adversarial.content_limits import test_big_bodies
from fuzz_suite.adversarial.dots import test_forged_dots, test_ownership, test_seq_rules
from fuzz_suite.adversarial.framing import test_broken_http
from fuzz_suite.adversarial.mutated_changes import test_mutated_changes
from fuzz_suite.adversarial.paths_and_methods import test_long_urls_and_headers, test_paths_and_methods
from fuzz_suite.adversarial.pulls import test_paging_and_long_poll, test_pull_queries
from fuzz_suite.adversarial.tokens import test_headers_and_tokens
from fuzz_suite.adversarial.valid_pushes import test_valid_pushes
from fuzz_suite.run import Run, guarded


def phase_adversarial(run: Run) -> None:
    """Hypothesis-generated abuse over raw HTTP."""
    run.phase = "adversarial"
    tests = [
        test_valid_pushes, test_mutated_changes, test_mutated_bodies, test_forged_dots, test_ownership, test_seq_rules,
        test_causality, test_headers_and_tokens, test_admin_routes, test_encodings, test_big_bodies, test_pull_queries,
        test_paging_and_long_poll, test_paths_and_methods, test_long_urls_and_headers, test_broken_http,
        test_concurrent_pushes,
    ]
    for test in tests:
        start = time.monotonic()
        before = run.sent["adversarial"]
        guarded(run, test.__name__, test)
        run.ensure_server(test.__name__)
        if run.args.verbose:
            print(f"  {test.__name__}: {run.sent['adversarial'] - before} requests, "
                  f"{time.monotonic() - start:.1f} s", flush=True)
