"""Phase 2, seed: real data through the real client, and the "before" snapshot."""

from __future__ import annotations

import collections
import json

from fuzz_suite.run import Run, SetupError
from fuzz_suite.spec import SEED_ARTICLE


def phase_seed(run: Run) -> None:
    """Real data through the real client, and the "before" snapshot."""
    run.phase = "seed"
    if not SEED_ARTICLE.exists():
        raise SetupError(f"the seed article is missing: {SEED_ARTICLE}")
    run.gloss("init", "--name", "ayse")
    run.gloss("import", str(SEED_ARTICLE))
    articles = json.loads(run.gloss("articles", "--json").stdout)
    article = articles[0]["id"]
    run.gloss("annotate", article, "--quote", "Musul kentini", "--label", "LOC", "--tag", "city",
              "--note", "Mosul, the city")
    annotated = json.loads(run.gloss("annotate", article, "--quote", "DEAŞ", "--occurrence", "1", "--label", "ORG",
                                     "--note", "ISIS, by its Arabic acronym", "--json").stdout)
    run.gloss("annotate", article, "--start", "5", "--end", "12", "--note", "the date", "--color", "yellow")
    annotation = annotated.get("id") if isinstance(annotated, dict) else None
    listed = json.loads(run.gloss("annotations", "--json").stdout)
    ids = [entry["id"] for entry in listed]
    annotation = annotation or ids[0]
    run.gloss("edit", annotation, "--note", "DEAŞ: ISIS", "--add-tag", "group")
    doomed = next(entry for entry in ids if entry != annotation)
    run.gloss("delete", doomed)
    run.gloss("remote", "set", run.base, "--corpus", "news", "--token", run.tokens["ayse-write"])
    run.gloss("sync")
    before = run.pull_all("seed: before snapshot", token="ayse-read")
    if not before:
        raise SetupError("the before snapshot is empty: the seeded sync did not reach the server")
    run.before = before
    run.seed_replica = before[0]["replica"]
    run.article = next(change for change in before if change["kind"] == "article")
    latest: dict[str, dict] = {}
    for change in before:
        if change["kind"] == "annotation":
            latest[change["entity"]] = change
    run.annotations = list(latest.values())
    kinds = collections.Counter((change["kind"], change["op"], bool(change["replaces"])) for change in before)
    print(f"seeded {len(before)} changes from replica {run.seed_replica}: {dict(kinds)}", flush=True)
