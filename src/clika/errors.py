"""Errors a user can act on.

Every problem with user input is raised as a ClikaError that names where it happened (file and line when there is
one). The CLI prints ``str(err)`` as one line and exits with status 1; it never shows a traceback for these.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class ClikaError(Exception):
    """A user-facing error: one line, naming the file and line where known."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:  # one line, always
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return (self.message if self.path is None else f"{where}: {self.message}").replace("\n", " ")


class DataError(ClikaError):
    """Malformed or inconsistent input data (items, predictions, results)."""


class ConfigError(ClikaError):
    """Bad options, unknown model/task names, missing optional dependencies."""


class BackendError(ClikaError):
    """A model backend failed in a way retries could not fix."""


@contextmanager
def quiet_logger(logger: logging.Logger, level: int) -> Iterator[None]:
    """Raise a library's logger to ``level`` for a block: its retry chatter must not precede our one-line error."""
    before = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(before)
