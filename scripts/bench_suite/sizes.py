"""How big each workload is: the full sizes and the --smoke ones."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class Sizes:
    articles: int            # (a) (b) (c) (d) full size
    annotations: int
    clients: int             # (e)
    client_changes: int      # (e) changes per client: 1 article + the rest annotations
    search_articles: int     # (g)
    search_queries: int
    annotate_runs: int       # (f)
    noop_runs: int           # (c)
    live_rounds: int         # (j) pushes each delivered to a waiting poll, per configuration
    idle_polls: int          # (k) long polls held open at once
    idle_hold_seconds: int   # (k) how long they are held (and the server idle before them)
    compaction_annotations: int   # (m) annotations on the one article
    compaction_edits: int         # (m) edits of each annotation (then a fifth of them deleted)

    @property
    def changes(self):
        return self.articles + self.annotations

    @property
    def small_articles(self):
        return max(1, self.articles // 10)

    @property
    def small_annotations(self):
        """10,000 changes by default: 100 articles + 9,900 annotations."""
        return max(0, self.annotations // 10 - self.small_articles)

    @property
    def scale_articles(self):
        """(h): each of two replicas holds half the full size, in different changes."""
        return max(1, self.articles // 2)

    @property
    def scale_annotations(self):
        """50,000 changes per replica by default: 500 articles + 49,500 annotations."""
        return max(0, self.annotations // 2 - self.scale_articles)


FULL = Sizes(articles=1000, annotations=100_000, clients=16, client_changes=5000,
             search_articles=10_000, search_queries=200, annotate_runs=20, noop_runs=5,
             live_rounds=200, idle_polls=1000, idle_hold_seconds=10,
             compaction_annotations=1000, compaction_edits=50)
SMOKE = Sizes(articles=20, annotations=500, clients=2, client_changes=100,
              search_articles=100, search_queries=20, annotate_runs=3, noop_runs=2,
              live_rounds=5, idle_polls=20, idle_hold_seconds=1,
              compaction_annotations=20, compaction_edits=5)
