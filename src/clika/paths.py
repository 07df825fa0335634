"""Where clika keeps files of its own: one cache root, and the fetched data inside it.

    $CLIKA_CACHE                 cache root (default ~/.cache/clika)
    $CLIKA_DATA_DIR              fetched CLiKA data (default <cache root>/data)

Nothing here touches the file system: the folders are created by whoever writes
into them.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_root", "data_dir"]


def _from_env(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def cache_root() -> Path:
    """The cache root: $CLIKA_CACHE, else ~/.cache/clika."""
    return _from_env("CLIKA_CACHE") or Path.home() / ".cache" / "clika"


def data_dir() -> Path:
    """Where `clika data fetch` puts the CLiKA data: $CLIKA_DATA_DIR, else <cache root>/data."""
    return _from_env("CLIKA_DATA_DIR") or cache_root() / "data"
