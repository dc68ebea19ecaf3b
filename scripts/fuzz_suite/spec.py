"""What the suite reads from docs/openapi.yaml and the repository at run time: the
error codes, the routes, the pull page's fields."""

from __future__ import annotations

import re

import yaml

from glossproc.paths import REPO

SEED_ARTICLE = REPO / "examples" / "corpus" / "musul-2016-12.txt"
OPENAPI = REPO / "docs" / "openapi.yaml"
CHANGES = "/v1/corpora/{}/changes"
# The routes under a corpus, whose answers carry Gloss-Protocol: 1 (docs/protocol.md).
CORPUS_ROUTE = re.compile(r"^/v1/corpora/[A-Za-z0-9._-]{1,64}(/changes|/tokens|/tokens/[0-9]+)?(\?.*)?$")
SPEC = yaml.safe_load(OPENAPI.read_text())
ERROR_CODES = set(SPEC["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"])
ADMIN_ROUTES = "/v1/corpora/{corpus}/tokens" in SPEC["paths"]  # docs/protocol.md, "Administration"
PULL_REQUIRED = set(SPEC["components"]["schemas"]["PullResponse"]["required"])
