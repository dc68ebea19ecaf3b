"""Files of the repository the workloads use."""

from __future__ import annotations

import os

from glossproc import paths

REPO = str(paths.REPO)   # a string, as os.path composes it
GEN_CORPUS = os.path.join(REPO, "scripts", "gen-corpus")
ANCHORING_EVAL = os.path.join(REPO, "scripts", "anchoring-eval")
ANCHORING_CASES = os.path.join(REPO, "examples", "anchoring-eval", "cases.jsonl")
CLIENT_MIGRATIONS = os.path.join(REPO, "Migrations", "client")
