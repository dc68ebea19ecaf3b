"""BENCHMARKS.md: written from a run's rows, or, with --only, merged into the earlier one."""

from __future__ import annotations

import datetime
import os
import platform
import re
import shlex
import sqlite3
import subprocess
import tempfile
import urllib.parse
import urllib.request

from bench_suite.build import BUILD_COMMAND
from bench_suite.figures import MIB
from bench_suite.paths import REPO
from bench_suite.report import START_LOAD, sorted_rows
from bench_suite.runner import row_keys
from glossproc.processes import quoted


def machine_description(run="the run"):
    def first(path, prefix):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(prefix):
                        return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "unknown"

    memory = first("/proc/meminfo", "MemTotal")
    memory_text = f"{int(memory.split()[0]) / MIB:.1f} GiB" if memory != "unknown" else memory
    tool = subprocess.run(["sqlite3", "--version"], capture_output=True, text=True).stdout.split()
    return [
        f"CPU: {first('/proc/cpuinfo', 'model name')}, {os.cpu_count()} cores (os.cpu_count())",
        f"Memory: {memory_text} (MemTotal)",
        f"Kernel: {platform.system()} {platform.release()}",
        f"SQLite: {sqlite3.sqlite_version} in python3's sqlite3 (baseline (a)); "
        f"{tool[0] if tool else 'missing'} in the sqlite3 tool (baseline (f))",
        f"Python: {platform.python_version()}",
        f"Temporary folder: {tempfile.gettempdir()} on {filesystem_of(tempfile.gettempdir())}",
        f"Load average (1 min) at the start and the end of {run}: {START_LOAD:.2f} / {os.getloadavg()[0]:.2f} "
        "(anything else running on the machine skews the figures)",
    ]


def filesystem_of(path):
    best, kind = "", "unknown"
    with open("/proc/mounts") as f:
        for line in f:
            fields = line.split()
            mount = fields[1]
            if (path == mount or path.startswith(mount.rstrip("/") + "/")) and len(mount) >= len(best):
                best, kind = mount, fields[2]
    return kind


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def reproduce_command(args):
    """`scripts/bench` with this run's size options and the PostgreSQL variable (password hidden)."""
    parts = ["scripts/bench"]
    if args.articles is not None:
        parts += ["--articles", str(args.articles)]
    if args.annotations is not None:
        parts += ["--annotations", str(args.annotations)]
    for name in ("GLOSS_BENCH_POSTGRES_URL", "GLOSS_TEST_POSTGRES_URL"):
        if os.environ.get(name):
            url = urllib.parse.urlsplit(os.environ[name])
            if url.password:
                url = url._replace(netloc=url.netloc.replace(":" + url.password + "@", ":PASSWORD@"))
            return f"GLOSS_BENCH_POSTGRES_URL={shlex.quote(urllib.parse.urlunsplit(url))} " + quoted(parts)
    return quoted(parts)


def binaries_description(args, bin_dir):
    if args.bin_dir:
        shown = os.path.relpath(bin_dir, REPO) if bin_dir.startswith(REPO + os.sep) else bin_dir
        return f"{shown} (given with --bin-dir, so not necessarily built from that commit)"
    return f"release build of that work tree ({quoted(BUILD_COMMAND)})"


def render_markdown(bench, command, seconds, binaries, commit, previous=None):
    """BENCHMARKS.md for this run; with --only and an earlier BENCHMARKS.md (`previous`), its rows,
    bounds, notes and failed checks of the workloads that did not run are kept, and the header
    says which rows came from which run."""
    report = bench.report
    ran = row_keys(bench.ran)
    date = datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')
    partial = bench.args.only is not None
    only = f"`scripts/bench --only {','.join(k.strip('()') for k in ran)}`; " if partial else ""
    this_run = (f"Date: {date}; " + only
                + f"run time {seconds / 60:.1f} min; work tree at git commit {commit}; binaries: {binaries}.")
    old = parse_markdown(previous) if partial and previous else None
    if old and old["command"]:
        command = old["command"]   # the whole table's command, as the full run wrote it
    new_rows = [(row.key, "| " + " | ".join(cell(v) for v in (row.key, row.figure, row.measured, row.baseline,
                                                              row.ratio, row.target, row.status, row.note)) + " |")
                for row in sorted_rows(report)]
    new_bounds = [(row.key, f"- {row.key} {row.figure}: {row.bound}") for row in sorted_rows(report) if row.bound]
    notes = [f"- {note}" for note in report.notes]
    failures = [f"- {cell(failure)}" for failure in report.failures]
    provenance = [this_run]
    if old:
        def kept(items):
            """The earlier report's lines of the workloads this run did not measure."""
            return [(key, line) for key, line in items if key not in ran]

        new_rows = sorted(kept(old["rows"]) + new_rows, key=lambda item: item[0])
        new_bounds = sorted(kept(old["bounds"]) + new_bounds, key=lambda item: item[0])
        notes = [line for key, line in kept(old["notes"])] + notes
        failures = [line for key, line in kept(old["failures"])] + failures
        provenance = []
        for keys, text in old["provenance"]:
            rest = [key for key in keys if key not in ran]
            if rest:
                provenance.append(f"Rows {' '.join(rest)}: {text}")
        provenance.append(f"Rows {' '.join(ran)}: {this_run}")
    lines = [
        "# Gloss benchmarks",
        "",
        "Generated by `scripts/bench`; do not edit by hand. Each figure is measured beside its baseline in the",
        "same run on the same machine. Reproduce the whole table with:",
        "",
        "```sh",
        command,
        "```",
        "",
        "or refresh only some workloads' rows (the others are kept) with `scripts/bench --only LETTERS`, e.g. "
        "`scripts/bench --only i`.",
        "",
    ]
    for text in provenance:
        lines += [text, ""]
    lines += [
        "| # | Figure | Measured | Baseline | Ratio | Target | Status | Notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [line for _, line in new_rows]
    lines += ["", "## What bounds each figure", ""]
    lines += [line for _, line in new_bounds]
    lines += ["", "## Method", ""]
    lines += [f"- {text}" for text in METHOD]
    lines += notes
    lines += ["", "## Checks", ""]
    if failures:
        lines += ["These checks FAILED (the figures beside them are not to be trusted):", ""]
        lines += failures
    else:
        lines.append(f"Every count checked by the {'runs' if old else 'run'} was right (see Method).")
    lines += ["", "## Machine", ""]
    lines += [f"- {text}" for text in machine_description(f"the run of rows {' '.join(ran)}" if old else "the run")]
    return "\n".join(lines) + "\n"


def parse_markdown(text):
    """The parts of an earlier BENCHMARKS.md that a --only run may keep, each with its row key:
    table rows, bound lines, notes under Method that are not METHOD's, failed checks; and the
    header's provenance lines (`Rows (a) (b): Date: …`, or one `Date: …` for every row)."""
    parts = {"rows": [], "bounds": [], "notes": [], "failures": [], "provenance": [], "command": None}
    section, dates, in_code = None, [], False
    static = {f"- {line}" for line in METHOD}
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        key = re.match(r"^(?:\| |- )(\([a-z]\))", line)
        if line.startswith("```"):
            in_code = line.startswith("```sh")
        elif in_code and section is None and parts["command"] is None:
            parts["command"] = line
        elif section is None:
            provenance = re.match(r"^Rows ((?:\([a-z]\) ?)+): (Date: .*)$", line)
            if provenance:
                parts["provenance"].append((provenance.group(1).split(), provenance.group(2)))
            elif line.startswith("Date: "):
                dates.append(line)
            elif key and line.startswith("| "):
                parts["rows"].append((key.group(1), line))
        elif section == "What bounds each figure" and key:
            parts["bounds"].append((key.group(1), line))
        elif section == "Method" and line not in static and re.match(r"^- \([a-z]\) ", line):
            parts["notes"].append((key.group(1), line))   # a run's note, such as (h)'s skipped rows
        elif section == "Checks" and line.startswith("- "):
            parts["failures"].append((key.group(1) if key else "", line))
    everything = sorted({key for key, _ in parts["rows"]})
    parts["provenance"] += [(everything, line) for line in dates]
    return parts


METHOD = [
    "Times are wall-clock times of whole processes (spawn to exit) unless a row says otherwise. Peak RSS of a "
    "client is its ru_maxrss (os.wait4), taken through a small launcher process because Linux starts a child's "
    "ru_maxrss at its spawner's peak (so about 9 MiB is the floor); of a server, its VmHWM read from "
    "/proc/PID/status before it is stopped, with a fresh server process per size.",
    "Corpora come from `scripts/gen-corpus` with fixed seeds; the small size of (c)/(d) has about a tenth of "
    "the full size's changes (100 articles + 9,900 annotations against 1,000 + 100,000 by default).",
    "(a)'s baseline builds a replica by executing Migrations/client/*.sql in order, computes every row in Python "
    "before the clock starts and inserts them into changes, entities, frontier, articles, annotations and the "
    "FTS5 search table with gloss's settings (WAL, synchronous FULL, its cache_size); the run checks that every "
    "table then holds the same rows as gloss import's replica (replica id and clock readings aside).",
    "Checked every run: import counts; pushed/pulled/applied counts of the syncs in (b) and (h), pushed in (e); "
    "the server's change count "
    "(`gloss-server corpus list`); pushing and pulled replicas export byte-identical JSONL; syncs with nothing "
    "new move nothing; in (e) every replica holds exactly every generated id once and all exports are "
    "byte-identical; in (f) every annotate made its annotation; in (g) every query finds something; in (h) "
    "server counts, pulled counts and identical exports; every server exits 0 on SIGTERM; in (i) every annotation "
    "has a placement, the outcome counts match the cases, the speed case's repetitions place alike, and "
    "examples/anchoring-eval/cases.jsonl is byte-identical to what `scripts/anchoring-eval generate` makes.",
    "Percentiles over samples interpolate linearly between closest ranks; the (e) latency quantiles come from "
    "the server's histogram (see the row).",
    "Flat (c, d): the full-size figure is at most 1.25× the small-size one (plus 10 ms for times).",
    "Workloads (j) and (k) speak HTTP/1.1 to gloss-server processes from Python (http.client keep-alive "
    "connections in (j), one plain socket per poll in (k)); a poll counts as waiting once the server's gauge "
    "gloss_long_polls_waiting on /metrics says it is parked. Checked: in (j) each poll's page holds exactly the "
    "change just pushed and its cursor moved by one, and the server holds every pushed change; in (k) no poll is "
    "answered during the hold, all are still parked at its end, and every one is answered 200 when the server "
    "is stopped (SIGTERM).",
    "Workload (i) runs `scripts/anchoring-eval run --bin BIN/anchoring-eval` (Tools/anchoring-eval: one GlossCore "
    "Anchoring per corrected text, every annotation placed with it). Each annotation's expected outcome comes from the "
    "generator, "
    "which knows what it changed: survives (words untouched: exact = placed on their new span), corrected (a letter, "
    "typo or the whitespace between its words changed, all words still there: exact = placed on the corrected "
    "words' span), deleted (every word removed: must be orphaned); wrong words = placed on less than half of the "
    "expected span (or less than half of the placement on it), or placed at all when deleted. The time is measured "
    "inside the process, so no process start-up or JSON is in it; examples/anchoring-eval/README.md has the details.",
    "Workload (m) pushes its changes from Python (three writer replica ids, raw HTTP, canonical changes made as the "
    "client makes them) to one gloss-server on embedded SQLite started with --compact-every never, so that only "
    "`gloss-server compact` compacts; every other step runs the real gloss and gloss-server commands. Its bare "
    "insert is bare_insert.py's, of the same changes as (dot, change JSON) rows. Checked: every push stored its "
    "batch; the server's change count, latest position and floor (`corpus list --json`) before and after; the "
    "horizon reached the latest position with every replica active (`replicas list --json`); the compaction's "
    "report (dropped, stored before and after, floor, snapshot deleted); every new replica's pulled and held "
    "counts, whether it used the snapshot, and that it shows exactly the article and the live annotations with "
    "their last notes, exporting the same JSONL as the replica that replayed the whole log; `gloss compact`'s "
    "dropped count and the replica's counts before and after; `gloss doctor` on that replica and `gloss-server "
    "check` on the stopped server's store.",
]
