"""Benchmarks for Gloss: each workload beside its baseline, measured in the same run.

  scripts/bench                               # release build, full sizes, writes BENCHMARKS.md
  scripts/bench --bin-dir .build/debug --smoke # tiny sizes, checks counts only (what CI runs)
  scripts/bench --annotations 20000            # a quicker full run
  scripts/bench --only i                       # only workload (i); rewrites only its rows of BENCHMARKS.md

Workloads (see BENCHMARKS.md for the figures and what bounds each):
  (a) gloss import of one gen-corpus JSONL into a fresh replica, against python3's sqlite3
      inserting the same rows into the same tables (WAL, one transaction, executemany)
  (b) the first push of that replica to gloss-server (embedded SQLite), and the first full
      pull into a fresh replica, as ratios to (a)'s raw insert
  (c) a sync with nothing new at the small and the full size: wall time and requests
  (d) peak RSS of client and server during (b), at the small and the full size
  (e) concurrent clients pushing then pulling everything: throughput, p50/p99 latency,
      changes lost or duplicated
  (f) one gloss annotate process against one sqlite3-tool insert into a copy of the file
  (g) gloss search over many articles: p50/p99 per query
  (h) scale-out: push and pull throughput of 1 server on SQLite, 1 and 2 on PostgreSQL
  (i) re-anchoring after corrections: `scripts/anchoring-eval run` on the evaluation set
      examples/anchoring-eval/cases.jsonl (shares re-anchored exactly, orphaned, moved to wrong
      words; 1,000 annotations on a 100 KB article against python3's sqlite3 inserting 1,000 rows)
  (j) live delivery: from a push's acknowledgement to a waiting long poll's page, p50/p99, on 1 server
      (SQLite) and 2 servers (PostgreSQL: the puller on one, the pusher on the other)
  (k) idle cost of 1,000 open long polls: the server's CPU seconds and RSS while it holds them
  (l) a new device: the first sync from the server's snapshot and by replay, import, the replica's
      size and every process's peak RSS, against a bare SQLite insert of the same records
  (m) compaction: three writers make 1,000 annotations on one article, edit each 50 times and delete
      20%; the server's and a replica's changes and file sizes before and after `gloss-server
      compact` and `gloss compact`, their times, and new replicas' first syncs (by replay and from
      a snapshot) and snapshot builds before and after, against a bare insert of the same changes

Every count is checked (the run exits 1 when one is wrong, or a command fails). --smoke
runs every workload with tiny sizes, checks only counts and writes no BENCHMARKS.md.
--only runs some workloads (letters, e.g. `--only i` or `--only b,g`; (b), (c), (d) and (f)
need (a)'s replica, so (a) runs with them) and, when BENCHMARKS.md exists, rewrites only the
rows of the workloads that ran, keeping the others (its header says which rows came from which
run); it builds only the products those workloads use.
All work happens in a temporary folder, removed at the end; servers listen on free
loopback ports; every process started is stopped, also on error or Ctrl-C.
PostgreSQL rows ((h), (j)) use $GLOSS_BENCH_POSTGRES_URL, else $GLOSS_TEST_POSTGRES_URL (a role that
may CREATE DATABASE); without either they are skipped with a note.
"""

# The package, one module per job (the docstring above is also `scripts/bench --help`):
#   main          the command line: options, sizes, the run, console table, BENCHMARKS.md, exit codes
#   runner        which workloads run, their shared state, one workload failing leaves the others
#   workloads/    one module per lettered workload, a_import … m_compaction ((b) measures (c) and (d))
#   baseline      the raw SQLite baseline of (a)
#   markdown      BENCHMARKS.md, written whole or, with --only, merged into the earlier one
#   report        rows, failed checks, the progress log, the console table
#   figures       units, ratios, percentiles and targets
#   measure       measured commands (wall time, CPU, peak RSS), preparation commands, parallel runs
#   longpoll      raw HTTP pushes and long polls for (j) and (k), connections for (m), and the parked-poll gauge
#   client, servers, postgres, metrics, corpora, sizes, build, paths   what their names say
# Process helpers (gloss-server on a free port, admin commands, SIGTERM, stopping every child)
# are scripts/glossproc's.
