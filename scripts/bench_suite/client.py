"""The gloss client's commands as the workloads use them."""

from __future__ import annotations

import os
import time

from bench_suite.measure import run, run_measured

CORPUS = "bench"


class Gloss:
    """The gloss executable: each command with the options the workloads give it."""

    def __init__(self, bin_dir):
        self.exe = os.path.join(bin_dir, "gloss")

    def cmd(self, *args):
        return [self.exe, *args]

    def init(self, store, name="bench"):
        run(self.cmd("init", "--name", name, "--store", store, "--json"))

    def import_measured(self, jsonl, store):
        return run_measured(self.cmd("import", jsonl, "--store", store, "--json"))

    def import_checked(self, jsonl, store, articles, annotations, report):
        """Imports and checks the reported counts; returns the measurement."""
        measured = self.import_measured(jsonl, store)
        summary = measured.json()
        report.check(summary.get("articles") == articles and summary.get("annotations") == annotations,
                     f"`gloss import {jsonl}` reported {summary}, expected {articles} articles and "
                     f"{annotations} annotations")
        return measured

    def remote_set(self, store, url, token):
        run(self.cmd("remote", "set", url, "--corpus", CORPUS, "--token", token, "--store", store, "--json"))

    def sync(self, store):
        return run_measured(self.cmd("sync", "--json", "--store", store))

    def export_jsonl(self, store):
        return run(self.cmd("export", "--format", "jsonl", "--store", store))

    def fresh_replica(self, store, url, token, name="puller"):
        """gloss init + remote set, timed together (part of a full pull into a fresh replica)."""
        began = time.perf_counter()
        self.init(store, name)
        self.remote_set(store, url, token)
        return time.perf_counter() - began
