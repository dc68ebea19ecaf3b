"""(g) gloss search over many articles: p50/p99 per query."""

from __future__ import annotations

import json
import random
import re
import statistics

from bench_suite.corpora import gen_corpus
from bench_suite.figures import ms, percentile
from bench_suite.measure import run_measured
from bench_suite.report import Row


def search_workload(bench):
    s = bench.sizes
    jsonl = gen_corpus(bench.path("corpus-search.jsonl"), s.search_articles, 0, 3)
    store = bench.path("search.gloss")
    bench.gloss.init(store, "searcher")
    bench.gloss.import_checked(jsonl, store, s.search_articles, 0, bench.report)
    queries = search_queries(jsonl, s.search_queries)
    timings = []
    for words in queries:
        m = run_measured(bench.gloss.cmd("search", *words, "--json", "--store", store))
        bench.report.check(len(m.json()) >= 1, f"(g) `gloss search {' '.join(words)}` found nothing, but the "
                                              "words come from one article")
        timings.append(m.seconds)
    startup = [run_measured(bench.gloss.cmd("search", "zzqxjzzq", "--json", "--store", store)).seconds
               for _ in range(max(5, s.search_queries // 20))]
    base = statistics.median(startup)
    p50, p99 = percentile(timings, 0.5), percentile(timings, 0.99)
    bench.report.add(Row(
        "(g)", f"search over {s.search_articles:,} articles, whole `gloss search --json` process, p50 / p99",
        f"{ms(p50)} / {ms(p99)}",
        note=f"{len(queries)} queries of 1–2 words drawn (seeded) from one article each; every one must find it",
        bound="process start-up and store opening dominate; FTS5 prefix match and ranking, then snippets"))
    bench.report.add(Row(
        "(g)", "search per query net of start-up, p50 / p99",
        f"{ms(max(0.0, p50 - base))} / {ms(max(0.0, p99 - base))}",
        baseline=f"{ms(base)} start-up",
        note=f"whole-process quantiles minus the median of {len(startup)} searches for a word that occurs "
             "nowhere (start-up, store opening, an empty FTS lookup): an estimate",
        bound="FTS5 lookup of common prefixes over ~45 MB of folded text, bm25 ranking and snippet extraction"))


def search_queries(jsonl, count):
    """`count` queries of 1–2 words, each drawn (seeded) from one article's text, so every
    query has at least that article as a hit."""
    with open(jsonl, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    rng = random.Random(7)
    queries = []
    for _ in range(count):
        words = re.findall(r"[^\W\d_]{3,}", rng.choice(texts))
        queries.append(rng.sample(words, rng.randint(1, 2)))
    return queries
