"""The admin routes: scopes, token create/list/revoke, secrets, deleting a corpus while
pushes race it."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from fuzz_suite.bodies import deep, encode
from fuzz_suite.changes import fresh_change
from fuzz_suite.checks import describe_answer, error_code, expect_push, expect_status
from fuzz_suite.hypothesis_settings import fuzz
from fuzz_suite.rawhttp import Answer, Client, Request
from fuzz_suite.run import Run
from fuzz_suite.spec import ADMIN_ROUTES, CHANGES


def test_admin_routes(run: Run) -> None:
    """docs/protocol.md, "Administration": the corpus summary for any scope; token list,
    create and revoke and corpus delete for admin only; another corpus's tokens and ids
    answer 404; secrets never listed; a revoked token is refused from the next request;
    a corpus is deleted only with ?confirm=its name."""
    if not ADMIN_ROUTES:
        return
    news = "/v1/corpora/news"
    codes = {401: "unauthorized", 403: "forbidden", 404: "not_found"}

    def call(test: str, method: str, target: str, token: str | None, body: Any = None, status: Iterable[int] = (200,),
             variant: str | None = None, raw: bytes | None = None) -> Answer | None:
        statuses = tuple(status)
        data = raw if raw is not None else (encode(body) if body is not None else None)
        headers = run.headers(token, content_type="application/json" if data is not None else None)

        def expect(answer: Answer) -> str | None:
            problem = expect_status(*statuses)(answer)
            if problem:
                return problem
            if answer.status in codes and error_code(answer) != codes[answer.status]:
                return f"wrong error code: expected {codes[answer.status]}, got {error_code(answer)!r}"
            return None

        return run.request(test, Request(method, target, headers, data), expect=expect, variant=variant)

    # The summary: any scope, the token's own user and scope; another corpus's token: 404.
    for token, scope in (("ayse-read", "read"), ("ayse-write", "write"), ("admin", "admin"), ("bob-write", "write")):
        answer = call("admin: corpus summary", "GET", news, token, variant=token)
        if answer is not None and answer.status == 200:
            summary = answer.json()
            want = {"name": "news", "user": run.users[token], "scope": scope}
            got = {key: summary.get(key) for key in want}
            if got != want or type(summary.get("changes")) is not int:
                run.fail(("admin", "summary"), "admin: the corpus summary is wrong",
                         f"    token: {token}\n    expected {want} and an integer 'changes', got {summary}")
    call("admin: corpus summary", "GET", news, "other-write", status=[404], variant="token for other")
    call("admin: corpus summary", "GET", "/v1/corpora/other", "ayse-write", status=[404], variant="news token on other")

    # Below admin scope: 403 on every admin route; another corpus: 404.
    for token in ("ayse-read", "ayse-write", "bob-write"):
        call("admin: scope", "GET", f"{news}/tokens", token, status=[403], variant=f"{token} lists tokens")
        call("admin: scope", "POST", f"{news}/tokens", token, {"user": "mallory", "scope": "admin"}, status=[403],
             variant=f"{token} creates an admin token")
        call("admin: scope", "DELETE", f"{news}/tokens/1", token, status=[403], variant=f"{token} revokes token 1")
        call("admin: scope", "DELETE", f"{news}?confirm=news", token, status=[403],
             variant=f"{token} deletes the corpus")
    for target, method in (("/v1/corpora/other/tokens", "GET"), ("/v1/corpora/other?confirm=other", "DELETE"),
                           ("/v1/corpora/nosuch/tokens", "GET")):
        call("admin: another corpus", method, target, "admin", status=[404], variant=f"news admin: {method} {target}")

    # The list: every token, never a secret.
    answer = call("admin: token list", "GET", f"{news}/tokens", "admin")
    ids: dict[str, int] = {}
    if answer is not None and answer.status == 200:
        leaked = [name for name, secret in run.tokens.items() if secret in answer.body.decode("utf-8", "replace")]
        hashes = [name for name, secret in run.tokens.items()
                  if hashlib.sha256(secret.encode()).hexdigest() in answer.body.decode("utf-8", "replace")]
        if leaked or hashes:
            run.fail(("admin", "secrets"), "admin: the token list shows secrets or their hashes",
                     f"    secrets of: {leaked}, hashes of: {hashes}")
        for record in answer.json().get("tokens", []):
            if record.get("user") == "carol" and record.get("revokedAt") is None:
                run.fail(("admin", "revoked"), "admin: the revoked token is listed as active", f"    record: {record}")
            ids.setdefault(record.get("user"), record.get("id"))

    # Create tokens: valid bodies 201 with a working secret; invalid ones 400.
    user_names = st.one_of(st.from_regex(r"[A-Za-z0-9._-]{1,64}", fullmatch=True),
                           st.sampled_from(["", "a b", "ü", "x" * 65, "../etc", "a\u0000b", "root;drop"]),
                           st.integers(), st.none())
    scope_values = st.one_of(st.sampled_from(["read", "write", "admin"]),
                             st.sampled_from(["", "Admin", "root", "superuser", "read,write"]), st.integers(),
                             st.none())
    created: list[tuple[str, int, str]] = []

    @fuzz(run, 0.5)
    @given(user=user_names, scope=scope_values, with_scope=st.booleans(), extra=st.sampled_from([None, "corpus", "id"]))
    def create_token(user, scope, with_scope, extra):
        body: dict[str, Any] = {"user": user}
        if with_scope:
            body["scope"] = scope
        if extra == "corpus":
            body["corpus"] = "other"  # the path names the corpus; the body must not move the token elsewhere
        elif extra == "id":
            body["id"] = 1
        valid = isinstance(user, str) and re.fullmatch(r"[A-Za-z0-9._-]{1,64}", user) is not None and (
            not with_scope or scope in ("read", "write", "admin"))
        answer = call("admin: create token", "POST", f"{news}/tokens", "admin", body,
                      status=[201] if valid else [400, 422], variant=json.dumps(body)[:100])
        if answer is not None and answer.status == 201:
            record = answer.json()
            secret = record.get("token")
            if not isinstance(secret, str) or not re.fullmatch(r"gloss_[0-9a-f]{64}", secret) \
                    or record.get("user") != user \
                    or record.get("scope") != (scope if with_scope else record.get("scope")):
                run.fail(("admin", "create"), "admin: the created token record is wrong",
                         f"    body: {body}\n    answer: {record}")
                return
            run.tokens[f"created-{len(created)}"] = secret
            created.append((secret, record.get("id"), record.get("scope")))
            # It works on news, and only on news.
            run.request("admin: created token works", Request("GET", f"{CHANGES.format('news')}?limit=1",
                                                              run.headers(f"created-{len(created) - 1}")),
                        expect=expect_status(200))
            run.request("admin: created token stays in its corpus", Request(
                "GET", f"{CHANGES.format('other')}?limit=1", run.headers(f"created-{len(created) - 1}")),
                expect=expect_status(404, codes=["not_found"]))

    create_token()
    for name, raw in (("not JSON", b"{user"), ("an array", b"[]"), ("empty", b""), ("depth 1000", deep(1000))):
        call("admin: create token", "POST", f"{news}/tokens", "admin", raw=raw, status=[400], variant=name)

    # Revoke: the token is refused from the next request on; ids elsewhere or unknown: 404.
    for secret, token_id, _scope in created[:3]:
        name = next(n for n, s in run.tokens.items() if s == secret)
        answer = call("admin: revoke token", "DELETE", f"{news}/tokens/{token_id}", "admin")
        if answer is not None and answer.status == 200 and answer.json().get("revokedAt") is None:
            run.fail(("admin", "revoke"), "admin: a revoked token's record has no revokedAt", f"    {answer.json()}")
        run.request("admin: revoked token refused",
                    Request("GET", f"{CHANGES.format('news')}?limit=1", run.headers(name)),
                    expect=expect_status(401, codes=["unauthorized"]))
        call("admin: revoke token", "DELETE", f"{news}/tokens/{token_id}", "admin", variant="again (harmless)")
    listing = run.server_tool("token", "list").stdout
    other_ids = [line.split()[0] for line in listing.splitlines() if "\tother\t" in line or " other " in line]
    for token_id in other_ids[:1]:
        call("admin: revoke token", "DELETE", f"{news}/tokens/{token_id}", "admin", status=[404],
             variant="a token id of corpus other")
        run.request("admin: other's token still works", Request("GET", f"{CHANGES.format('other')}?limit=1",
                                                                run.headers("other-write")), expect=expect_status(200))
    for token_id in ("999999", "0", "-1", "abc", "1.5", "99999999999999999999", "%00"):
        call("admin: revoke token", "DELETE", f"{news}/tokens/{token_id}", "admin", status=[400, 404],
             variant=f"id {token_id}")

    # Delete a corpus: only its admin, only with ?confirm=its name.
    doomed = "/v1/corpora/doomed"
    change = fresh_change(run, run.new_replica(), 1)
    run.push("admin: delete corpus setup", {"replica": change["replica"], "changes": [change]}, token="doomed-write",
             corpus="doomed", expect=expect_push(1, 0, 1))
    for query in ("", "?confirm=", "?confirm=news", "?confirm=DOOMED", "?confirm=doomed%20", "?confirm"):
        answer = call("admin: delete corpus", "DELETE", doomed + query, "doomed-admin", status=[400],
                      variant=f"confirm: {query!r}")
        if answer is not None and answer.status == 400 \
                and error_code(answer) not in ("confirmation_needed", "bad_request"):
            run.fail(("admin", "confirm code"), "admin: deleting without confirmation: wrong error code",
                     f"    {describe_answer(answer)}")
    call("admin: delete corpus", "DELETE", f"{doomed}?confirm=doomed", "doomed-write", status=[403],
         variant="write token")
    call("admin: delete corpus", "DELETE", f"{doomed}?confirm=doomed", "admin", status=[404], variant="news admin")
    # Pushes (each a fresh replica's first change) and a pull race the deletion: before it
    # 200, after it 401 (the token went with the corpus) or 404; never a 5xx, never a seq_gap.
    # 5,000 changes make the deletion's transaction long enough for pushes to queue behind it.
    bulk = run.new_replica()
    run.push("admin: delete corpus setup", {"replica": bulk, "changes": [
        fresh_change(run, bulk, seq, op="delete", clock={bulk: seq}) for seq in range(1, 5001)]},
        token="doomed-write", corpus="doomed", expect=expect_push(5000, 0, 5000))
    racing = threading.Event()

    def allowed(answer: Answer) -> str | None:
        return None if answer.status in (200, 401, 404) else f"wrong status: {answer.status}"

    def race(index: int) -> None:
        client = Client(run)
        while not racing.is_set():
            if index == 0:
                run.request("admin: pull racing the corpus deletion", Request(
                    "GET", f"{CHANGES.format('doomed')}?limit=5", run.headers("doomed-write")), client=client,
                    expect=allowed)
                continue
            replica = run.new_replica()
            change = fresh_change(run, replica, 1, op="delete")
            run.push("admin: push racing the corpus deletion", {"replica": replica, "changes": [change]},
                     token="doomed-write", corpus="doomed", client=client, expect=allowed)
        client.close()

    racers = [threading.Thread(target=race, args=(i,)) for i in range(5)]
    for thread in racers:
        thread.start()
    time.sleep(0.3)
    answer = call("admin: delete corpus", "DELETE", f"{doomed}?confirm=doomed", "doomed-admin", variant="confirmed")
    time.sleep(0.3)
    racing.set()
    for thread in racers:
        thread.join(30)
    if answer is not None and answer.status == 200 and answer.json().get("deleted") != "doomed":
        run.fail(("admin", "delete"), "admin: the delete answer does not name the corpus", f"    {answer.json()}")
    for token in ("doomed-admin", "doomed-write"):
        run.request("admin: deleted corpus", Request("GET", f"{CHANGES.format('doomed')}?limit=1", run.headers(token)),
                    expect=expect_status(401, 404), variant=token)
