"""Paths: where clika keeps files of its own, and the user's output paths, checked before any work.

    $CLIKA_CACHE                 cache root (default ~/.cache/clika)
    $CLIKA_DATA_DIR              fetched CLiKA data; when unset, the folder last given to
                                 `clika data fetch --dest` (remembered in <cache root>/data-location.json),
                                 else <cache root>/data

Of clika's own files, ``remember_data_dir`` writes the one small file that names a fetched folder; other folders are
created by whoever writes into them. Output paths are checked first: a run must not compute for an hour and then find
that it cannot write its results (`score --output /proc/x.jsonl`, a file where a folder should be). Every problem is
one ConfigError naming the path and the flag.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from clika.errors import ConfigError

__all__ = ["DataDir", "cache_root", "check_output_file", "check_writable_dir", "data_dir", "data_dir_choice",
           "data_location_file", "remember_data_dir", "safe_dirname"]  # fmt: skip

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
    if (env := _from_env("CLIKA_DATA_DIR")) is not None:
        return DataDir(env, "$CLIKA_DATA_DIR")
    if (remembered := _remembered()) is not None:
        return DataDir(remembered, f"remembered in {data_location_file()}")
    return DataDir(cache_root() / "data", "the default")


def data_dir() -> Path:
    """Where the CLiKA data is: $CLIKA_DATA_DIR, else the remembered `--dest`, else <cache root>/data."""
    return data_dir_choice().path


def remember_data_dir(path: Path) -> Path:
    """Remember ``path`` (made absolute) as the fetched data folder; returns the file written (atomically, so a
    reader never sees half a file)."""
    target = data_location_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    record = {"data_dir": str(Path(path).expanduser().resolve()), "written_by": "clika data fetch"}
    fd, tmp = tempfile.mkstemp(prefix=LOCATION_FILE + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(json.dumps(record, indent=2) + "\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def check_writable_dir(path: str | Path, flag: str = "--output") -> Path:
    """``path`` is (or can be made) a writable folder; creates it."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{flag}: is a file, not a folder", path)
    _make_writable(path, flag, path)
    return path


def check_output_file(path: str | Path, suffixes: Sequence[str], flag: str = "--output") -> Path:
    """``path`` has one of ``suffixes`` and its folder is writable (the file itself is written later)."""
    path = Path(path)
    if suffixes and path.suffix not in suffixes:
        raise ConfigError(f"{flag}: must end in {' or '.join(suffixes)}, got {path.name!r}", path)
    if path.is_dir():
        raise ConfigError(f"{flag}: is a folder, not a file", path)
    _make_writable(path.parent if str(path.parent) else Path("."), flag, path)
    return path


def _make_writable(folder: Path, flag: str, shown: Path) -> None:
    """Create ``folder`` and prove it writable by creating and deleting a file in it, the only reliable test (/proc,
    read-only mounts, quotas); errors name ``shown`` (what the user passed)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"{flag}: cannot create the folder ({err.strerror or err})", shown) from None
    try:
        fd, name = tempfile.mkstemp(prefix=".clika-write-test-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as err:
        raise ConfigError(f"{flag}: cannot write here ({err.strerror or err})", shown) from None


def safe_dirname(name: str) -> str:
    """A model name as one folder name that cannot climb out of its parent
    ("org/model" -> "org__model"; "..", separators and odd characters go)."""
    cleaned = re.sub(r"[^A-Za-z0-9._@-]+", "_", name.replace("/", "__").replace("\\", "__"))
    cleaned = re.sub(r"\.{2,}", "_", cleaned).strip("._")
    return cleaned[:120] or "model"
