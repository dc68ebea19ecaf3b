"""Reading the corpus back: its last position, and whether a refused batch left anything."""

from __future__ import annotations

from fuzz_suite.rawhttp import Request
from fuzz_suite.run import Run
from fuzz_suite.spec import CHANGES


def latest_cursor(run: Run) -> int:
    """The position of the last change of `news`."""
    answer = run.request("pull: latest", Request("GET", f"{CHANGES.format('news')}?after=0&limit=10000", run.headers()))
    cursor = 0
    while answer is not None and answer.status == 200:
        page = answer.json()
        cursor = page["cursor"]
        if not page["more"]:
            break
        answer = run.request("pull: latest", Request("GET", f"{CHANGES.format('news')}?after={cursor}&limit=10000",
                                                     run.headers()))
    return cursor


def check_not_stored(run: Run, test: str, dots: list[tuple[str, int]]) -> None:
    """A refused batch stores nothing (one transaction)."""
    pulled = run.pull_all(f"{test}: pull", token="ayse-read")
    if pulled is None:
        return
    present = {(c["replica"], c["seq"]) for c in pulled}
    leaked = [f"{r}:{s}" for r, s in dots if (r, s) in present]
    if leaked:
        run.fail((test, "partially stored"), f"{test}: a refused batch was partly stored", f"    stored dots: {leaked}")
