"""Black-box fuzz and abuse suite for gloss-server, run against a real server process.

    scripts/fuzz [--bin-dir .build/debug] [--examples N] [--seed N] [--keep]

What it does, in phases:

1. setup        A temp dir with a data folder: corpora `news`, `other` and `doomed` (to
                be deleted over HTTP), tokens (ayse write, ayse read, admin, bob write,
                a token for `other`, one that gets revoked, doomed's admin and writer),
                and `gloss-server serve --port 0` on 127.0.0.1.
2. seed         Real data through the real client: `gloss init`, `import` of the seed
                article (examples/corpus/musul-2016-12.txt in the repository),
                a few annotations, an edit and a delete, `gloss sync`. The full pull of
                `news` afterwards is the "before" snapshot.
3. schemathesis docs/openapi.yaml through schemathesis's Python API: every operation,
                examples + coverage + fuzzing phases, positive and negative data, once
                with the write token and once with the read token. Every default
                schemathesis check (server errors, status codes, content types, response
                schemas, negative data rejected, positive data accepted, auth enforced,
                undeclared methods, ...) counts as a failure, plus our own checks below.
4. adversarial  Hypothesis-driven raw HTTP: changes mutated field by field, broken JSON,
                gzip bombs and broken gzip, header and token abuse (revoked tokens,
                cross-corpus tokens, read tokens pushing, replica ownership, forged
                dots), causality (unseen dots, clocks going backwards), content limits,
                the admin routes (scopes, secrets, revocation, deleting a corpus while
                pushes race it), pull
                query strings, unknown paths and methods, long URLs, broken HTTP
                framing, valid pushes from fresh replicas (also concurrent, with a
                concurrent puller that must see every change exactly once).
5. final        The server still answers; the "before" snapshot is unchanged; every
                acknowledged push is stored (as sent, with the author set from the
                token); no dot appears twice; positions run 1..N; SIGTERM stops the
                server with exit 0 within 10 s; `gloss-server check` passes; the seeded
                replica still syncs (server restarted on the same data) and
                `gloss doctor` passes; SIGTERM again, with a long poll in flight, stops
                it within 10 s too.

Checks applied to every answer: status < 500; every 4xx carries a JSON body
{"error": {"code": str, "message": str}} with a code docs/openapi.yaml lists; answers
on the corpus routes carry `Gloss-Protocol: 1`; and whatever a case must be refused (or
accepted) is, per docs/protocol.md and docs/openapi.yaml (read at run time, so the
suite follows the spec: the admin-route tests run when openapi.yaml has those routes).

Exit status 0 only if every check passed; otherwise each distinct failure is printed
with a reproducible request (method, URL, headers, body prefix) and the answer.
Tokens in the printout are shown as <token:NAME>; with --keep their secrets are in
TMP/tokens.json. Runs are deterministic where Hypothesis and schemathesis allow
(derandomized, seeded with --seed).

Needs Python 3.11+, hypothesis, schemathesis (4.x; it brings PyYAML) and requests. The
schemathesis phase drives schemathesis's own test builder (the one its pytest plugin
uses) to get its examples and coverage phases as well as fuzzing.
"""

# The package, one module per job (the docstring above is also `scripts/fuzz --help`):
#   main                 the command line and the order of the phases
#   run                  state shared by the phases: server, tokens, counters, failures, requests
#   rawhttp              requests over http.client (every byte ours), answers, connections
#   checks               the checks on every answer and the expectations of single tests
#   spec                 what is read from docs/openapi.yaml at run time
#   bodies, changes      request bodies and well-formed changes; the acknowledged ones
#   corpus               reading the corpus back
#   hypothesis_settings  derandomized, seeded Hypothesis settings
#   setup_phase, seed_phase, schemathesis_phase, final_phase    phases 1, 2, 3 and 5
#   adversarial/         phase 4, one module per topic
#   summary              the closing report
# Process helpers (gloss-server on a free port, admin commands, SIGTERM) are scripts/glossproc's.
