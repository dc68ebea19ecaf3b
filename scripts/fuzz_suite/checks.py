"""The checks answers must pass: the ones every answer gets, and the expectations a test
puts on one (status, error code, push counts, page shape)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable

from fuzz_suite.rawhttp import Answer, Request
from fuzz_suite.spec import CORPUS_ROUTE, ERROR_CODES, PULL_REQUIRED


def describe_answer(answer: Answer) -> str:
    """Status, content type and a prefix of the body, for a failure report."""
    kind = answer.headers.get("content-type", "no content-type")
    body = answer.body
    return f"{answer.status} ({kind}, {len(body)} bytes) {body[:400]!r}{'…' if len(body) > 400 else ''}"


def error_body_problem(body: bytes, content_encoding: str = "") -> str | None:
    """What is wrong with a 4xx body, per docs/protocol.md: {"error": {"code", "message"}}."""
    if content_encoding.lower() == "gzip":
        try:
            body = zlib.decompress(body, 31)
        except zlib.error:
            return "malformed error body: declared gzip but is not"
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "malformed error body: not JSON" + (" (empty)" if not body else "")
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("code"), str) \
            or not isinstance(error.get("message"), str):
        return "malformed error body: not {\"error\": {\"code\": str, \"message\": str}}"
    if error["code"] not in ERROR_CODES:
        return f"malformed error body: undocumented code {error['code']!r}"
    return None


def http_layer_refusal(status: int, body: bytes, connection: str) -> bool:
    """A request that is not well-formed HTTP/1.1 (broken framing, a method token the
    parser does not know, a request head over its size limit) is refused by the HTTP
    layer (SwiftNIO's parser) before the application sees it: an empty 400 and the
    connection closed. docs/protocol.md documents this; it is the one refusal without
    the JSON error body."""
    return status == 400 and not body and connection.lower() == "close"


def standard_problems(request: Request, answer: Answer) -> list[str]:
    """The checks every answer must pass."""
    problems = []
    if answer.status >= 500:
        problems.append(f"server error: {answer.status}")
    if http_layer_refusal(answer.status, answer.body, answer.headers.get("connection", "")):
        return problems
    if 400 <= answer.status < 500 and request.method != "HEAD":
        problem = error_body_problem(answer.body, answer.headers.get("content-encoding", ""))
        if problem:
            problems.append(problem)
    if CORPUS_ROUTE.match(request.target) and request.method in ("GET", "POST", "DELETE") and not problems \
            and answer.headers.get("gloss-protocol") != "1":
        problems.append("missing Gloss-Protocol header: an answer on a corpus route lacks Gloss-Protocol: 1")
    return problems


def error_code(answer: Answer) -> str | None:
    """The `error.code` of an error answer, if it has one."""
    try:
        return answer.json()["error"]["code"]
    except Exception:
        return None


def expect_status(*statuses: int, codes: Iterable[str] = ()) -> Callable[[Answer], str | None]:
    """The answer's status must be one of `statuses` (and, for errors, its code one of `codes`)."""
    wanted_codes = set(codes)

    def check(answer: Answer) -> str | None:
        if answer.status not in statuses:
            what = "refusal missing" if answer.status < 300 else "wrong status"
            return f"{what}: expected {'/'.join(map(str, statuses))}, got {answer.status}"
        if wanted_codes and answer.status >= 400 and error_code(answer) not in wanted_codes:
            return f"wrong error code: expected {'/'.join(sorted(wanted_codes))}, got {error_code(answer)!r}"
        return None

    return check


def expect_refused(*statuses: int) -> Callable[[Answer], str | None]:
    """The answer must be a refusal (4xx; one of `statuses` if given)."""

    def check(answer: Answer) -> str | None:
        if answer.status < 400:
            return f"refusal missing: expected a 4xx refusal, got {answer.status}"
        if statuses and answer.status not in statuses:
            return f"wrong status: expected {'/'.join(map(str, statuses))}, got {answer.status}"
        return None

    return check


def expect_push(stored: int, duplicates: int, max_seq: int) -> Callable[[Answer], str | None]:
    """200 with exactly these counts (docs/openapi.yaml PushResponse)."""

    def check(answer: Answer) -> str | None:
        if answer.status != 200:
            return f"valid push refused: expected 200, got {answer.status}"
        try:
            body = answer.json()
        except ValueError:
            return "push answer is not JSON"
        want = {"stored": stored, "duplicates": duplicates, "maxSeq": max_seq}
        got = {key: body.get(key) for key in want}
        if got != want:
            return f"wrong push answer: expected {want}, got {got}"
        return None

    return check


def page_problem(answer: Answer, after_values: list[str], limit_values: list[str], last: int) -> str | None:
    """A page is {changes, cursor, more}, within its limit, cursor past `after`."""
    try:
        page = answer.json()
    except ValueError:
        return "page not JSON"
    if not isinstance(page, dict) or not PULL_REQUIRED <= set(page) or not isinstance(page["changes"], list) \
            or type(page["cursor"]) is not int or not isinstance(page["more"], bool):
        return f"malformed page: keys {sorted(page) if isinstance(page, dict) else type(page).__name__}, " \
               f"docs/openapi.yaml requires {sorted(PULL_REQUIRED)}"
    after = int(after_values[0]) if len(after_values) == 1 and after_values[0].isdigit() else None
    limit = int(limit_values[0]) if len(limit_values) == 1 and limit_values[0].isdigit() else None
    if limit is not None and len(page["changes"]) > limit:
        return f"page over its limit: {len(page['changes'])} > {limit}"
    if after is not None:
        if not page["changes"] and page["cursor"] != after:
            return f"empty page moved the cursor: after={after}, cursor={page['cursor']}"
        if page["changes"] and page["cursor"] <= after:
            return f"cursor not past after: after={after}, cursor={page['cursor']}"
        if after >= last and (page["changes"] or page["more"]):
            return f"a page after the last position ({last}) holds changes or more: after={after}"
    return None


# What a case must get: "refuse" (a 4xx), "accept" (a 2xx, and stored exactly), "either".
REFUSE, ACCEPT, EITHER = "refuse", "accept", "either"
