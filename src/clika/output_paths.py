"""Output paths, checked before any work: a run must not compute for an hour and then find
that it cannot write its results (`score --output /proc/x.jsonl`, a file where a folder
should be). Every problem is one ConfigError naming the path and the flag."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from clika.errors import ConfigError


def _probe(folder: Path, flag: str, target: Path) -> None:
    """Create and delete a file in ``folder``: the only reliable writability test (/proc, ro mounts, quotas)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".clika-write-test-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as err:
        raise ConfigError(f"{flag}: cannot write here ({err.strerror or err})", target) from None


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
    """Create ``folder`` and prove it writable; errors name ``shown`` (what the user passed)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"{flag}: cannot create the folder ({err.strerror or err})", shown) from None
    _probe(folder, flag, shown)
