"""Where hirebot keeps what it can rebuild: the gazetteer's compact index, compiled templates.

``$HIREBOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/hirebot``, else ``~/.cache/hirebot``. Nothing in
it is ever needed: a cache that cannot be written or read only means slower start-up."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    base = os.environ.get("HIREBOT_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "hirebot")
    return Path(base)
