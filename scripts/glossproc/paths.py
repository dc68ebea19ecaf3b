"""Where the repository is: scripts/glossproc/ is two folders below its root."""

import os
from pathlib import Path

# Not resolved: a checkout reached through a symlink keeps the path it was called by.
REPO = Path(os.path.abspath(__file__)).parents[2]
