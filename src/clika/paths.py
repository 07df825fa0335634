"""Where clika keeps files of its own: one cache root, and the fetched data inside it.

    $CLIKA_CACHE                 cache root (default ~/.cache/clika)
    $CLIKA_DATA_DIR              fetched CLiKA data; when unset, the folder last given to
                                 `clika data fetch --dest` (remembered in <cache root>/data-location.json),
                                 else <cache root>/data

Reading is all this module does, except ``remember_data_dir``, which writes the
one small file that names a fetched folder. Folders are created by whoever
writes into them.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DataDir", "cache_root", "data_dir", "data_dir_choice", "data_location_file", "remember_data_dir"]

LOCATION_FILE = "data-location.json"


def _from_env(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def cache_root() -> Path:
    """The cache root: $CLIKA_CACHE, else ~/.cache/clika."""
    return _from_env("CLIKA_CACHE") or Path.home() / ".cache" / "clika"


def data_location_file() -> Path:
    """The file that remembers where `clika data fetch --dest` put the data."""
    return cache_root() / LOCATION_FILE


@dataclass(frozen=True)
class DataDir:
    path: Path
    origin: str  # why this folder: "$CLIKA_DATA_DIR", "remembered in <file>" or "the default"


def _remembered() -> Path | None:
    try:
        data = json.loads(data_location_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # absent or unreadable: the default applies (a broken file is rewritten by the next fetch)
    value = data.get("data_dir") if isinstance(data, dict) else None
    return Path(value) if isinstance(value, str) and value else None


def data_dir_choice() -> DataDir:
    """Where the fetched CLiKA data is looked for, and why there."""
    env = _from_env("CLIKA_DATA_DIR")
    if env is not None:
        return DataDir(env, "$CLIKA_DATA_DIR")
    remembered = _remembered()
    if remembered is not None:
        return DataDir(remembered, f"remembered in {data_location_file()}")
    return DataDir(cache_root() / "data", "the default")


def data_dir() -> Path:
    """Where the CLiKA data is: $CLIKA_DATA_DIR, else the remembered `--dest`, else <cache root>/data."""
    return data_dir_choice().path


def remember_data_dir(path: Path) -> Path:
    """Remember ``path`` (made absolute) as the fetched data folder; returns the file written.

    Written atomically, so a reader never sees half a file."""
    target = data_location_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"data_dir": str(Path(path).expanduser().resolve()), "written_by": "clika data fetch"},
                      indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=LOCATION_FILE + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
