"""Protocol header, credentials and corpus in every combination: revoked, cross-corpus and
read tokens."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from fuzz_suite.bodies import encode
from fuzz_suite.changes import fresh_change
from fuzz_suite.checks import error_code, expect_status
from fuzz_suite.corpus import check_not_stored
from fuzz_suite.hypothesis_settings import fuzz
from fuzz_suite.rawhttp import Answer, Request
from fuzz_suite.run import Run
from fuzz_suite.spec import ADMIN_ROUTES, CHANGES

PROTOCOLS = {"valid": "1", "missing": None, "empty": "", "2": "2", "0": "0", "1.0": "1.0", "01": "01", "v1": "v1",
             "11": "11", "one": "one", "1;q=1": "1;q=1"}


def test_headers_and_tokens(run: Run) -> None:
    """Every combination of protocol header, credentials and corpus: the answer is the
    refusal of one of the defects present (400 protocol_mismatch, 401 unauthorized,
    403 forbidden, 404 not_found), or 200 if there is none."""
    # The revoked token works once, then is revoked while the server runs.
    run.request("tokens: before revoking", Request("GET", f"{CHANGES.format('news')}?after=0&limit=1",
                                                   run.headers("carol-revoked")), expect=expect_status(200))
    listing = run.server_tool("token", "list").stdout
    carol = next((line.split()[0] for line in listing.splitlines() if "carol" in line), None)
    if carol is None:
        run.fail(("tokens", "list"), "token list does not show carol's token", f"    output: {listing}")
    else:
        run.server_tool("token", "revoke", carol)

    secret = run.tokens["ayse-write"]
    auths: dict[str, tuple[str | None, str]] = {
        # name: (Authorization value, defect: "" none, "401", "403 on push" (read scope),
        #        "401 or none" (a spelling RFC 7235 allows that the server may or may not take))
        "ayse write": (f"Bearer {secret}", ""),
        "ayse read": (f"Bearer {run.tokens['ayse-read']}", "403 on push"),
        "admin": (f"Bearer {run.tokens['admin']}", ""),
        "bob write": (f"Bearer {run.tokens['bob-write']}", ""),
        "token for corpus other": (f"Bearer {run.tokens['other-write']}", "404"),
        "revoked token": (f"Bearer {run.tokens['carol-revoked']}", "401"),
        "missing": (None, "401"),
        "Bearer without token": ("Bearer", "401"),
        "Bearer and a space": ("Bearer ", "401"),
        "Basic": ("Basic YXlzZTpzZWNyZXQ=", "401"),
        "token without Bearer": (secret, "401"),
        "unknown token": ("Bearer gloss_" + "0" * 64, "401"),
        "truncated token": (f"Bearer {secret[:-1]}", "401"),
        "token plus a character": (f"Bearer {secret}0", "401"),
        "token uppercased": (f"Bearer {secret.upper()}", "401"),
        "token hash instead of token": ("Bearer " + hashlib.sha256(secret.encode()).hexdigest(), "401"),
        "two tokens": (f"Bearer {secret} {secret}", "401"),
        "SQL in token": ("Bearer ' OR '1'='1", "401"),
        "huge token": ("Bearer " + "A" * 20000, "401"),
        "lowercase bearer": (f"bearer {secret}", "401 or none"),
        "two spaces": (f"Bearer  {secret}", "401 or none"),
    }
    corpora = ["news", "other", "nosuch", "NEWS", "news."]
    scopes = {"ayse read": "read", "admin": "admin"}  # every other token: write
    rank = {"read": 0, "write": 1, "admin": 2}
    # (method, path template, query, scope needed): the sync routes, and the admin ones when documented.
    endpoints = [("GET", "/v1/corpora/{}/changes", "?after=0&limit=3", "read"),
                 ("POST", "/v1/corpora/{}/changes", "", "write")]
    if ADMIN_ROUTES:
        endpoints += [("GET", "/v1/corpora/{}", "", "read"), ("GET", "/v1/corpora/{}/tokens", "", "admin")]

    def allowed(endpoint: int, protocol: str, auth: str, corpus: str) -> set[int]:
        """The statuses that are right for this combination: one per defect present."""
        _, _, _, needs = endpoints[endpoint]
        statuses = set()
        if PROTOCOLS[protocol] != "1":
            statuses.add(400)
        value, defect = auths[auth]
        if defect == "401":
            statuses.add(401)
        token_corpus = "other" if auth == "token for corpus other" else "news"
        if defect != "401" and corpus != token_corpus:
            statuses.add(404)
        if defect != "401" and rank[scopes.get(auth, "write")] < rank[needs]:
            statuses.add(403)
        maybe = {401} if defect == "401 or none" else set()
        return (statuses or {200}) | maybe

    codes = {400: "protocol_mismatch", 401: "unauthorized", 403: "forbidden", 404: "not_found"}

    @fuzz(run, 3.0)
    @given(endpoint=st.sampled_from(range(len(endpoints))), protocol=st.sampled_from(sorted(PROTOCOLS)),
           auth=st.sampled_from(sorted(auths)), corpus=st.sampled_from(corpora), one_defect=st.sampled_from([0, 0, 1]))
    def headers_and_tokens(endpoint, protocol, auth, corpus, one_defect):
        if one_defect:  # the most telling cases more often: everything valid but the credentials
            protocol, corpus = "valid", "news"
        method, template, query, _ = endpoints[endpoint]
        headers = []
        if PROTOCOLS[protocol] is not None:
            headers.append(("Gloss-Protocol", PROTOCOLS[protocol]))
        value, _ = auths[auth]
        if value is not None:
            headers.append(("Authorization", value))
        body = None
        if method == "POST":
            headers.append(("Content-Type", "application/json"))
            body = encode({"replica": run.new_replica(), "changes": []})
        statuses = allowed(endpoint, protocol, auth, corpus)

        def expect(answer: Answer) -> str | None:
            if answer.status not in statuses:
                what = "refusal missing" if answer.status < 300 else "wrong status"
                return f"{what}: expected {'/'.join(map(str, sorted(statuses)))}, got {answer.status}"
            if answer.status in codes and answer.status >= 400 and error_code(answer) != codes[answer.status]:
                return f"wrong error code: expected {codes[answer.status]}, got {error_code(answer)!r}"
            if answer.status == 400 and answer.json()["error"].get("supported") != "1":
                return "protocol_mismatch without \"supported\": \"1\""
            return None

        answer = run.request("headers and tokens", Request(method, template.format(corpus) + query, headers, body),
                             expect=expect,
                             variant=f"{method} {template} protocol={protocol} auth={auth} corpus={corpus}")
        if answer is not None and answer.status == 401 and auths[auth][1] == "401 or none" \
                and 401 not in statuses - {401} and statuses - {401} == {200}:
            run.note(f"refused (401): Authorization spelled '{auth}' (RFC 7235: the auth scheme is case-insensitive)")

    headers_and_tokens()

    # Cross-corpus: a token for one corpus neither reads nor writes the other.
    for token, corpus in (("other-write", "news"), ("ayse-write", "other"), ("ayse-read", "other"),
                          ("bob-write", "other")):
        run.request("cross-corpus token", Request("GET", f"{CHANGES.format(corpus)}?after=0", run.headers(token)),
                    expect=expect_status(404, codes=["not_found"]), variant=f"{token} reads {corpus}")
        change = fresh_change(run, run.new_replica(), 1)
        run.push("cross-corpus token", {"replica": change["replica"], "changes": [change]}, token=token, corpus=corpus,
                 expect=expect_status(404, codes=["not_found"]), variant=f"{token} pushes to {corpus}")
    # The read token may pull but never push, even a well-formed batch.
    change = fresh_change(run, run.new_replica(), 1)
    run.push("read token pushing", {"replica": change["replica"], "changes": [change]}, token="ayse-read",
             expect=expect_status(403, codes=["forbidden"]))
    check_not_stored(run, "read token pushing", [(change["replica"], 1)])
    # The token for `other` works on `other`.
    run.request("token for other on other",
                Request("GET", f"{CHANGES.format('other')}?after=0", run.headers("other-write")),
                expect=expect_status(200))
