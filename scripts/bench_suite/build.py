"""The binaries: release builds of the products the workloads need, and the commit they
are built from."""

from __future__ import annotations

import os
import subprocess
import sys

from bench_suite.paths import REPO
from bench_suite.report import log
from bench_suite.runner import WORKLOADS
from glossproc.processes import quoted

PRODUCT_PATHS = ["Package.swift", "Package.resolved", "Sources", "client", "server", "Migrations", "Plugins", "Tools"]
BUILD_COMMAND = ["swift", "build", "-c", "release", "--scratch-path", ".build-release"]   # plus --product options


def git_commit():
    """HEAD, and whether the product's sources in the work tree differ from it."""
    head = subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", *PRODUCT_PATHS],
                           capture_output=True, text=True).stdout.strip()
    return head + (" with uncommitted changes to the product's sources" if dirty else
                   " (the product's sources unchanged from it)")


def needed_executables(letters):
    """The executables the workloads use: gloss and gloss-server for (a)-(h), (l) and (m), gloss-server alone for (j)
    and (k) (raw HTTP), anchoring-eval for (i)."""
    client = bool(letters & set("abcdefghlm"))
    return (["gloss"] if client else []) + (["gloss-server"] if client or letters & set("jk") else []) \
        + (["anchoring-eval"] if "i" in letters else [])


def build_release(letters):
    """Every product (anchoring-eval included) for a full run; only the needed ones otherwise
    (`--only i` builds just anchoring-eval: GlossCore and swift-crypto)."""
    # `swift build` honours one --product only (the last one given), so one build each.
    commands = [list(BUILD_COMMAND)] if letters == set(WORKLOADS) else [
        BUILD_COMMAND + ["--product", product] for product in needed_executables(letters)]
    for cmd in commands:
        log("building release binaries: " + quoted(cmd))
        subprocess.run(cmd, cwd=REPO, check=True, stdout=sys.stderr)
    return os.path.join(REPO, ".build-release", "release")
