"""Download the CLiKA data from the upstream repository (library side of `clika data fetch`).

The files and their pinned hashes come from ``manifest.json`` beside this
module (written by scripts/make_manifest.py from the listing of the upstream
repository at the pinned commit). Every file is checked after download:

- item and fictional files (fetched always) against their sha256;
- prediction files (every ``<model>_res*.jsonl`` of the commit) and the model
  input files upstream generated (fetched only with ``predictions=True``)
  against their git blob id, the SHA-1 of ``b"blob <size>\\0" + content`` that
  git itself stores, taken from the repository's own tree.

Each file is downloaded from
``<base_url><path in the repository>``; the default base URL is the raw-file
host at the pinned upstream commit, any mirror of that commit works.

Downloading is done by pooch (https://www.fatiando.org/pooch): it streams a
file into a temporary file, checks its sha256 against the registry and only
then moves it into place; on a mismatch it deletes the temporary file. What
pooch does not do, this module adds:

- The git blob check: pooch knows plain hash algorithms only, so a file pinned
  by git blob id is fetched into the staging folder unchecked and its blob id
  is computed here before it may move into ``dest``; a mismatch deletes it.

- Atomic placement in ``dest``. Pooch's temporary file lives in the target
  folder under a random ``tmpXXXXXXXX`` name, so a killed process would leave
  it among the data. Here pooch writes into a staging folder
  (``dest/.clika-fetch.partial``, wiped at the start and end of every fetch)
  and the verified file is renamed into ``dest`` (same file system, so the
  rename is atomic). A file in ``dest`` is therefore either absent or complete
  and verified.
- Resume with a report: a file already in ``dest`` with the right hash is
  skipped (counted in ``FetchResult.skipped``); one with a wrong hash is
  removed and downloaded again (``FetchResult.replaced``).
- Every file is tried, all failures are reported. A file that fails (a hash
  mismatch, an HTTP error, a connection broken mid-download, a folder in its
  way) is recorded and the fetch goes on with the next file; a bad download
  never reaches ``dest`` (the staging design above: it is verified under its
  temporary name and deleted there, so no quarantine folder is needed, and
  a file of ``dest`` is still either absent or verified). Only a failure that
  every later file would share stops the fetch at once: the server cannot be
  reached (connection refused, timeout) or ``dest`` cannot be written; the
  remaining files are then listed as not tried. At the end, if anything
  failed, the list goes to ``dest/fetch-errors.tsv`` (``ERRORS_NAME``: path,
  check, expected hash, hash of what was downloaded or empty, the one-line
  error) and the fetch raises ``FetchError``, a ``DataError`` whose one-line
  message names the count, the first few files with expected vs got hash and
  the list's path (the CLI prints it, exit status 1); no marker is written.
  A rerun downloads only what is not yet verified in place, and drops the
  rows of the files it verified from the list (the list is deleted once it is
  empty), keeping the rows of files outside its selection.
- One-line errors: pooch lets ``requests`` exceptions and a multi-sentence
  ``ValueError`` through; here they become ``DataError`` naming the URL or the
  file (with both hashes on a mismatch). No retries (``retry_if_failed=0``).
- Quiet: pooch logs every download to stderr; its logger is silenced for the
  duration of a fetch, and progress goes to the ``progress`` callback only.
- Readable permissions: pooch's temporary files are created 0600; a placed
  file gets the usual 0666 & ~umask.
- A marker, ``dest/.clika-fetch.json``, written (atomically) when a full fetch
  finished; ``find_data_dir`` trusts a folder only with that marker, the
  pinned commit and every item file present at its pinned size.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from clika import paths
from clika.errors import ConfigError, DataError, quiet_logger

__all__ = [
    "DEFAULT_TIMEOUT",
    "ERRORS_NAME",
    "MARKER_NAME",
    "FetchError",
    "FetchEvent",
    "FetchFailure",
    "FetchResult",
    "Manifest",
    "ManifestFile",
    "data_location_message",
    "describe_files",
    "fetch",
    "find_data_dir",
    "git_blob_id",
    "load_manifest",
    "missing_data_message",
    "normalize_base_url",
]

MARKER_NAME = ".clika-fetch.json"
STAGING_NAME = ".clika-fetch.partial"
ERRORS_NAME = "fetch-errors.tsv"
ERRORS_HEADER = ("path", "check", "expected", "got", "error")
SHOWN_FAILURES = 3  # files named in the one-line message; the errors file lists all
DEFAULT_TIMEOUT = 30.0
GROUPS = ("items", "fictional", "predictions", "inputs")
REQUIRED_GROUPS = ("items", "fictional")  # the rest is fetched only with predictions=True
_CHUNK = 64 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_GIT_BLOB = re.compile(r"[0-9a-f]{40}")


# --------------------------------------------------------------------------- manifest


@dataclass(frozen=True)
class ManifestFile:
    path: str  # as in the repository, "/"-separated
    group: str  # one of GROUPS
    sha256: str | None  # pinned sha256 (items, fictional), else None
    size: int | None
    git_blob: str | None = None  # pinned git blob id (predictions, inputs), else None

    @property
    def check(self) -> str:
        """How the file is verified: "sha256" or "git blob"."""
        return "sha256" if self.sha256 is not None else "git blob"


@dataclass(frozen=True)
class Manifest:
    repository: str
    commit: str
    base_url: str
    files: tuple[ManifestFile, ...]
    source: str = "manifest.json"

    @property
    def required(self) -> tuple[ManifestFile, ...]:
        """The files a complete fetch holds (items and fictional, all with pinned hashes)."""
        return tuple(f for f in self.files if f.group in REQUIRED_GROUPS)

    def select(self, *, predictions: bool = False, only: Sequence[str] | None = None) -> list[ManifestFile]:
        """The files to fetch: items and fictional (+ predictions), restricted to the ``only`` prefixes.

        An ``only`` entry is a path in the repository, a file or a folder
        ("x_geo", "x_geo/en", "fictional/train/ZH.json"). An entry that matches
        no file is a ConfigError (a typo would otherwise fetch nothing).
        """
        chosen = [f for f in self.files if predictions or f.group in REQUIRED_GROUPS]
        if only is None:
            return chosen
        prefixes = [p.strip().strip("/") for p in only]
        unmatched = [p for p in prefixes if not any(_under(f.path, p) for f in chosen)]
        if unmatched or not prefixes:
            hint = "" if predictions else " (prediction files need predictions=True)"
            shown = ", ".join(repr(p) for p in unmatched) or "(empty)"
            raise ConfigError(f"no file of the manifest matches {shown}{hint}")
        return [f for f in chosen if any(_under(f.path, p) for p in prefixes)]


def _under(path: str, prefix: str) -> bool:
    return prefix == "" or path == prefix or path.startswith(prefix + "/")


def _check_path(rel: Any) -> str:
    if not isinstance(rel, str) or not rel or "\\" in rel:
        raise ValueError(f"bad file path {rel!r}")
    parts = PurePosixPath(rel).parts
    if rel.startswith("/") or any(p in ("", ".", "..") for p in parts) or "/".join(parts) != rel:
        raise ValueError(f"file path {rel!r} must be relative, without '.' or '..'")
    return rel


def _parse_manifest(data: Any) -> Manifest:
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    for key in ("repository", "commit", "base_url"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ValueError(f"missing string field {key!r}")
    if not isinstance(data.get("files"), list):
        raise ValueError("missing list field 'files'")
    files: list[ManifestFile] = []
    seen: set[str] = set()
    for n, entry in enumerate(data["files"], 1):
        if not isinstance(entry, dict):
            raise ValueError(f"file entry {n} is not an object")
        rel = _check_path(entry.get("path"))
        group, sha, blob = entry.get("group"), entry.get("sha256"), entry.get("git_blob")
        size = entry.get("size")
        if group not in GROUPS:
            raise ValueError(f"{rel}: unknown group {group!r}")
        if sha is not None and (not isinstance(sha, str) or not _SHA256.fullmatch(sha)):
            raise ValueError(f"{rel}: sha256 must be 64 lowercase hex digits")
        if blob is not None and (not isinstance(blob, str) or not _GIT_BLOB.fullmatch(blob)):
            raise ValueError(f"{rel}: git_blob must be 40 lowercase hex digits")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            raise ValueError(f"{rel}: size must be a non-negative integer or null")
        if (sha is None) == (blob is None):
            raise ValueError(f"{rel}: needs exactly one pinned hash, sha256 or git_blob")
        if group in REQUIRED_GROUPS and sha is None:
            raise ValueError(f"{rel}: files of group {group!r} need a pinned sha256")
        if rel in seen:
            raise ValueError(f"{rel}: listed twice")
        seen.add(rel)
        files.append(ManifestFile(rel, group, sha, size, blob))
    return Manifest(data["repository"], data["commit"], data["base_url"], tuple(files))


def load_manifest(path: Path | None = None) -> Manifest:
    """The shipped manifest (or the one at ``path``), checked; a bad one is a one-line DataError."""
    where: Path | str
    try:
        if path is None:
            where = "clika/data/manifest.json"
            text = resources.files("clika.data").joinpath("manifest.json").read_text(encoding="utf-8")
        else:
            where = Path(path)
            text = where.read_text(encoding="utf-8")
    except OSError as err:
        raise DataError(f"cannot read the data manifest: {err.strerror or err}", where if path else None) from None
    try:
        manifest = _parse_manifest(json.loads(text))
    except (ValueError, json.JSONDecodeError) as err:
        raise DataError(f"invalid data manifest: {err}", where) from None
    return Manifest(manifest.repository, manifest.commit, manifest.base_url, manifest.files, str(where))


def normalize_base_url(base_url: str) -> str:
    """``base_url`` with exactly one trailing slash; ConfigError unless it is an http(s) URL."""
    text = base_url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"the base URL must be an http:// or https:// folder URL, got {base_url!r}")
    return text.rstrip("/") + "/"


# --------------------------------------------------------------------------- events and result

EventKind = Literal["start", "skip", "download", "progress", "done", "failed", "finish"]


@dataclass(frozen=True)
class FetchEvent:
    """One step of a fetch, for a progress display.

    kind:
      "start"     before the first file: ``count`` files, ``size`` = their known bytes
      "skip"      file ``index`` of ``count`` is already present (``verified``: by hash)
      "download"  file ``index`` starts downloading (``size``: expected bytes, None if unknown)
      "progress"  ``bytes`` of file ``index`` received so far (approximate, at most ``size``)
      "done"      file ``index`` is in place: ``bytes`` = its size, ``verified`` as above
      "failed"    file ``index`` failed (mismatch, HTTP error...) and was not kept; ``verified`` False
      "finish"    all done: ``bytes`` = bytes downloaded in this fetch
    """

    kind: EventKind
    index: int  # 1-based number of the file; 0 for "start" and "finish"
    count: int  # number of files in this fetch
    path: str | None = None  # path in the repository
    bytes: int = 0
    size: int | None = None
    verified: bool | None = None


ProgressCallback = Callable[[FetchEvent], None]


@dataclass
class FetchResult:
    dest: Path
    repository: str
    commit: str
    base_url: str
    count: int  # files in this fetch
    downloaded: list[str] = field(default_factory=list)  # paths fetched over the network
    skipped: list[str] = field(default_factory=list)  # already present with the pinned hash
    replaced: list[str] = field(default_factory=list)  # were present with a wrong hash (also in downloaded)
    checks: dict[str, str] = field(default_factory=dict)  # path -> "sha256" or "git blob"
    bytes_downloaded: int = 0
    complete: bool = False  # every item and fictional file is in place (marker written)
    marker: Path | None = None

    def status(self, path: str) -> str:
        """How one file of this fetch ended: downloaded / skipped, and how it was verified."""
        how = "downloaded" if path in self.downloaded else "skipped (already present)"
        return f"{how}, verified ({self.checks[path]})"

    def summary(self) -> str:
        """One line for the CLI."""
        by_check = {c: sum(v == c for v in self.checks.values()) for c in ("sha256", "git blob")}
        checked = " and ".join(f"{n} by {c}" for c, n in by_check.items() if n)
        text = (
            f"{self.count} file(s) in {self.dest}, each verified ({checked}): {len(self.downloaded)} downloaded, "
            f"{len(self.skipped)} already present (skipped)"
        )
        if self.replaced:
            text += f", {len(self.replaced)} replaced (hash mismatch)"
        return text + f"; {_mb(self.bytes_downloaded)} downloaded"


@dataclass(frozen=True)
class FetchFailure:
    """One file of a fetch that failed and was not kept."""

    path: str  # path in the repository
    check: str  # "sha256" or "git blob"
    expected: str  # the pinned hash
    got: str | None  # hash of what was downloaded (a mismatch), else None
    reason: str  # short: "sha256 mismatch", "HTTP 404 not found", "timeout", ...
    error: DataError  # the full one-line error of this file (names the file or the URL)
    fatal: bool = False  # the fetch stopped after it (server unreachable, dest not writable)

    def short(self) -> str:
        """``path (sha256 expected 0123abcd4567, got 89abcdef0123)`` or ``path (reason)``."""
        if self.got is not None:
            return f"{self.path} ({self.check} expected {self.expected[:12]}, got {self.got[:12]})"
        return f"{self.path} ({self.reason})"


class FetchError(DataError):
    """A fetch in which some files failed: the one-line message names the count, the first few
    files and the errors file; ``failures``, ``not_tried`` and ``result`` (what did succeed) say all."""

    def __init__(self, message: str, path: str | None, *, failures: Sequence[FetchFailure],
                 not_tried: Sequence[str], errors_file: Path | None, result: FetchResult):
        super().__init__(message, path)
        self.failures = tuple(failures)
        self.not_tried = tuple(not_tried)
        self.errors_file = errors_file
        self.result = result


class _Failed(Exception):
    """Internal: one file failed (carries its FetchFailure)."""

    def __init__(self, failure: FetchFailure):
        super().__init__(str(failure.error))
        self.failure = failure


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


_GROUP_NOUN = {"items": "item", "fictional": "fictional-set", "predictions": "prediction", "inputs": "model-input"}


def _files(n: int) -> str:
    return f"{n:,} file" + ("" if n == 1 else "s")


def describe_files(files: Sequence[ManifestFile]) -> str:
    """What a selection of manifest files holds, in one line: files and bytes by group; for the
    prediction files, the models and their variant runs (names as `clika score` reads them)."""
    from clika.data.upstream_predictions import upstream_run_name

    parts = []
    for group in GROUPS:
        chosen = [f for f in files if f.group == group]
        if not chosen:
            continue
        text = f"{len(chosen):,} {_GROUP_NOUN[group]} files ({_mb(sum(f.size or 0 for f in chosen))})"
        if group == "predictions":
            runs = {f.path: upstream_run_name(PurePosixPath(f.path).name) or "?" for f in chosen}
            models = sorted({r.split("@")[0] for r in runs.values()}, key=str.lower)
            variants = sorted({r for r in runs.values() if "@" in r})
            shown = ", ".join(f"{v} ({_files(sum(r == v for r in runs.values()))})" for v in variants)
            text += f" of {len(models)} models" + (f" and {len(variants)} variant runs: {shown}" if variants else "")
            if any(r.endswith("@visual") for r in runs.values()):
                text += "; the @visual files are plain-text dumps of answers, not prediction records"
        parts.append(text)
    total = sum(f.size or 0 for f in files)
    return f"{_files(len(files))}, {_mb(total)}: " + "; ".join(parts)


def git_blob_id(path: Path) -> str:
    """The git blob id of a file: SHA-1 of b"blob <size>\\0" + content (what `git hash-object` prints)."""
    digest = hashlib.sha1(b"blob %d\0" % Path(path).stat().st_size)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _hash_of(path: Path, entry: ManifestFile) -> tuple[str, str]:
    """(expected, actual) hash of a local file, by the check its manifest entry pins."""
    import pooch

    if entry.sha256 is not None:
        return entry.sha256, pooch.file_hash(str(path), alg="sha256")
    return str(entry.git_blob), git_blob_id(path)


# --------------------------------------------------------------------------- pooch glue


class _ProgressBar:
    """The progress-bar object pooch's HTTPDownloader drives (total, update, reset, close)."""

    def __init__(self, emit: Callable[[FetchEvent], None], index: int, count: int, path: str, size: int | None):
        self._emit, self._index, self._count, self._path = emit, index, count, path
        self._size = size
        self._received = 0
        self._final = False
        self.total = 0

    def __bool__(self) -> bool:  # pooch tests the object for truth
        return True

    def update(self, n: int) -> None:
        if self._final:  # pooch's closing reset()/update(total): the "done" event gives the true size
            return
        self._received += n
        size = self._size or (self.total or None)
        shown = min(self._received, size) if size else self._received
        self._emit(FetchEvent("progress", self._index, self._count, self._path, shown, size))

    def reset(self) -> None:  # called by pooch's HTTPDownloader once the body is read (tqdm protocol)
        self._final = True

    def close(self) -> None:
        self._final = True


class _Downloader:
    """pooch's HTTPDownloader, noting the sha256 and size of what it wrote (for the error message)."""

    def __init__(self, timeout: float, bar: _ProgressBar | None):
        import pooch

        self._inner = pooch.HTTPDownloader(progressbar=bar if bar is not None else False,
                                           chunk_size=_CHUNK, timeout=timeout)
        self.sha256: str | None = None

    def __call__(self, url: str, output_file: Any, pup: Any, check_only: bool = False) -> Any:
        import pooch

        result = self._inner(url, output_file, pup, check_only=check_only)
        if not check_only and isinstance(output_file, (str, os.PathLike)):
            self.sha256 = pooch.file_hash(str(output_file), alg="sha256")
        return result


def _quiet_pooch():
    import pooch

    return quiet_logger(pooch.get_logger(), logging.WARNING)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _errno_reason(err: BaseException) -> str | None:
    match = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(err))
    return match.group(1).strip().rstrip(".") if match else None


def _network_error(err: Exception, url: str, path: str, timeout: float, commit: str) -> tuple[str, bool, DataError]:
    """(short reason, fatal, one-line error) for a requests exception; fatal: every later file would
    fail the same way (the server cannot be reached), so the fetch stops."""
    import requests

    ex = requests.exceptions
    fatal = False
    if isinstance(err, ex.HTTPError) and err.response is not None:
        code = err.response.status_code
        reason = err.response.reason or ""
        if code == 404:
            short = "HTTP 404 not found"
            text = f"not found (HTTP 404) while fetching {path}; is the base URL a copy of the repository at commit {commit[:12]}?"
        else:
            short = f"HTTP {code} {reason}".rstrip()
            text = f"{short} while fetching {path}"
    elif isinstance(err, ex.Timeout):
        short, fatal = "timeout", True
        text = f"no answer within {timeout:g} s (timeout) while fetching {path}; check the network or the base URL"
    elif isinstance(err, ex.ConnectionError):
        reason = (_errno_reason(err) or "connection failed").lower()
        short, fatal = f"cannot connect ({reason})", True
        text = f"cannot connect ({reason}) while fetching {path}; check the network or the base URL"
    elif isinstance(err, ex.ChunkedEncodingError | ex.ContentDecodingError):
        short = "connection broken mid-download"
        text = f"connection broken mid-download of {path}; nothing was kept, run the fetch again"
    else:
        short = f"download failed ({type(err).__name__})"
        text = f"download of {path} failed ({type(err).__name__})"
    return short, fatal, DataError(text, url)


# --------------------------------------------------------------------------- fetch


def _emit_to(progress: ProgressCallback | None) -> Callable[[FetchEvent], None]:
    return progress if progress is not None else (lambda event: None)


def _write_atomic(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` through a temporary file in the same folder (never half-written)."""
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_marker(dest: Path, manifest: Manifest, base_url: str) -> Path:
    predictions = [f for f in manifest.files if f.group not in REQUIRED_GROUPS]
    counts = {g: sum(f.group == g for f in manifest.files) for g in REQUIRED_GROUPS}
    marker = {
        "repository": manifest.repository,
        "commit": manifest.commit,
        "base_url": base_url,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "complete": True,
        "files": counts,
        "predictions": bool(predictions) and all((dest / f.path).is_file() for f in predictions),
    }
    target = dest / MARKER_NAME
    _write_atomic(target, json.dumps(marker, indent=2) + "\n")
    return target


def _tsv_cell(value: str) -> str:
    return " ".join(value.split())  # no tab or newline inside a cell


def _read_error_rows(path: Path) -> dict[str, tuple[str, ...]]:
    """path -> row of an earlier errors file (empty if absent or unreadable)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    rows = [tuple(line.split("\t")) for line in lines[1:]]
    return {row[0]: row for row in rows if len(row) == len(ERRORS_HEADER) and row[0]}


def _update_errors_file(dest: Path, selected: Sequence[ManifestFile], failures: Sequence[FetchFailure],
                        not_tried: Sequence[ManifestFile]) -> Path | None:
    """Rewrite ``dest/ERRORS_NAME``: rows an earlier fetch wrote for files outside this fetch's
    selection stay; the rows of this selection become this fetch's failures and the files it did not
    try; an empty list deletes the file. Returns its path if it exists afterwards; OSError if it
    cannot be written."""
    target = dest / ERRORS_NAME
    chosen = {f.path for f in selected}
    rows = {path: row for path, row in _read_error_rows(target).items() if path not in chosen}
    for f in failures:
        rows[f.path] = (f.path, f.check, f.expected, f.got or "", str(f.error))
    if not_tried:
        why = f"not tried: the fetch stopped after {failures[-1].path} ({failures[-1].reason})"
        for entry in not_tried:
            rows[entry.path] = (entry.path, entry.check, entry.sha256 or str(entry.git_blob), "", why)
    if not rows:
        target.unlink(missing_ok=True)
        return None
    lines = ["\t".join(ERRORS_HEADER), *("\t".join(_tsv_cell(c) for c in row) for row in rows.values())]
    _write_atomic(target, "\n".join(lines) + "\n")
    return target


def _failure_message(failures: Sequence[FetchFailure], not_tried: int, result: FetchResult,
                     listed: str) -> tuple[str, str | None]:
    """(message, path) of the one-line FetchError: a single failure keeps its own message (and the
    file or URL it names); several are counted, the first few named with expected vs got hash."""
    if len(failures) == 1:
        text, where = failures[0].error.message, failures[0].error.path
    else:
        shown = "; ".join(f.short() for f in failures[:SHOWN_FAILURES])
        more = len(failures) - SHOWN_FAILURES
        text = (f"{len(failures)} of {result.count} files failed and were not kept: {shown}"
                + (f"; and {more} more" if more > 0 else ""))
        where = None
    if not_tried:
        text += (f"; the fetch stopped there ({failures[-1].reason}): "
                 f"{_files(not_tried)} not tried")
    verified = len(result.downloaded) + len(result.skipped)
    kept = f"{_files(verified)} verified and in place, a rerun fetches only the rest" if verified else "no file kept"
    return f"{text}; {listed}; {kept}", where


@dataclass
class _Run:
    """What fetching one file needs from the fetch around it."""

    dest: Path
    pup: Any
    urls: dict[str, str]
    emit: Callable[[FetchEvent], None]
    with_bar: bool
    timeout: float
    mode: int
    commit: str
    result: FetchResult


def _verified_in_place(run: _Run, entry: ManifestFile, target: Path, index: int, failed: Callable) -> bool:
    """True when the file is already at target with the expected hash (a skip); a wrong file there is
    removed first (it must not stay, whatever happens next). An unreadable one is a fatal failure."""
    try:
        if target.is_file():
            _, actual = _hash_of(target, entry)
            if actual == (entry.sha256 or str(entry.git_blob)):
                run.result.skipped.append(entry.path)
                run.emit(FetchEvent("skip", index, run.result.count, entry.path, target.stat().st_size,
                                    entry.size, verified=True))
                return True
            target.unlink()
            run.result.replaced.append(entry.path)
    except OSError as err:
        raise failed("cannot read or remove the present file",
                     DataError(f"cannot read or remove the data file: {err.strerror or err}", target),
                     fatal=True) from None
    return False


def _fetch_file(run: _Run, entry: ManifestFile, index: int) -> None:
    """Put one verified file at ``dest/<path>`` (or find it there); raises _Failed, nothing is kept then."""
    import requests

    count = run.result.count
    target = run.dest / entry.path
    url = run.urls[entry.path]
    expected = entry.sha256 or str(entry.git_blob)

    def failed(reason: str, error: DataError, got: str | None = None, fatal: bool = False) -> _Failed:
        return _Failed(FetchFailure(entry.path, entry.check, expected, got, reason, error, fatal))

    if target.is_dir():
        raise failed("a folder is in the way", DataError("a folder is in the way of a data file", target))
    if _verified_in_place(run, entry, target, index, failed):
        return
    run.emit(FetchEvent("download", index, count, entry.path, 0, entry.size))
    bar = _ProgressBar(run.emit, index, count, entry.path, entry.size) if run.with_bar else None
    downloader = _Downloader(run.timeout, bar)
    try:
        staged = Path(run.pup.fetch(entry.path, downloader=downloader))
        if entry.git_blob is not None and (got_blob := git_blob_id(staged)) != entry.git_blob:
            staged.unlink()
            raise failed("git blob mismatch", DataError(
                f"git blob mismatch: expected {entry.git_blob}, got {got_blob} (from {url}); "
                "the download was discarded, nothing was written",
                entry.path,
            ), got=got_blob)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(staged, run.mode)
        os.replace(staged, target)
    except requests.exceptions.RequestException as err:
        reason, fatal, error = _network_error(err, url, entry.path, run.timeout, run.commit)
        raise failed(reason, error, fatal=fatal) from None
    except ValueError as err:
        got = downloader.sha256
        if entry.sha256 is not None and got is not None and got != entry.sha256:
            raise failed("sha256 mismatch", DataError(
                f"sha256 mismatch: expected {entry.sha256}, got {got} (from {url}); "
                "the download was discarded, nothing was written",
                entry.path,
            ), got=got) from None
        raise failed("download failed", DataError(f"download failed: {err}", url)) from None
    except OSError as err:
        raise failed("cannot write the data file",
                     DataError(f"cannot write the data file: {err.strerror or err}", target), fatal=True) from None

    size = target.stat().st_size
    run.result.downloaded.append(entry.path)
    run.result.bytes_downloaded += size
    run.emit(FetchEvent("done", index, count, entry.path, size, entry.size, verified=True))


def _prepare_dest(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise ConfigError("the data folder is not a folder", dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"cannot create the data folder: {err.strerror or err}", dest) from None


def fetch(
    dest: Path | None = None,
    base_url: str | None = None,
    *,
    predictions: bool = False,
    only: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    manifest: Manifest | None = None,
) -> FetchResult:
    """Download the CLiKA data into ``dest`` (default ``clika.paths.data_dir()``).

    ``base_url``: where the repository's files are served (default: the raw-file
    host at the pinned commit), with or without a trailing slash.
    ``predictions``: also fetch every prediction file of the commit and the model
    input files (each verified by git blob id).
    ``only``: repository paths (files or folders) to restrict the fetch to; a
    restricted fetch does not write the completion marker.
    ``progress``: called with a FetchEvent for every step; nothing is printed.
    ``timeout``: seconds to wait for a connection or for data.

    Every file is tried (unless the server cannot be reached or ``dest`` cannot be
    written: then the fetch stops). If any failed (a hash mismatch, sha256 or git
    blob; an HTTP error; a broken download), raises FetchError, a one-line DataError
    naming the count, the first few files with both hashes, and ``dest/fetch-errors.tsv``
    that lists them all; no failed file is kept, the verified ones are. ConfigError
    for a bad base URL or an unusable ``dest``. A rerun resumes: it downloads only
    what is not verified in place.
    """
    man = manifest if manifest is not None else load_manifest()
    base = normalize_base_url(base_url if base_url is not None else man.base_url)
    if not timeout > 0:
        raise ConfigError(f"timeout must be positive, got {timeout!r}")
    files = man.select(predictions=predictions, only=only)
    dest = Path(dest).expanduser() if dest is not None else paths.data_dir()
    _prepare_dest(dest)
    emit = _emit_to(progress)
    result = FetchResult(dest, man.repository, man.commit, base, len(files))
    staging = dest / STAGING_NAME
    shutil.rmtree(staging, ignore_errors=True)  # leftovers of a killed fetch

    import pooch

    urls = {f.path: base + quote(f.path, safe="/") for f in files}
    pup = pooch.create(
        path=staging,
        base_url=base,
        # git blob ids are no hash pooch knows: those files are checked here, after pooch wrote them
        registry={f.path: (f"sha256:{f.sha256}" if f.sha256 else None) for f in files},
        urls=urls,
        retry_if_failed=0,
    )
    run = _Run(dest, pup, urls, emit, progress is not None, timeout, 0o666 & ~_umask(), man.commit, result)
    emit(FetchEvent("start", 0, len(files), size=sum(f.size or 0 for f in files)))
    try:
        failures, not_tried = _fetch_all(run, files)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _report_failures(dest, files, failures, not_tried, result)

    if only is None:
        result.marker = _write_marker(dest, man, base)
        result.complete = True
    else:
        result.complete = find_data_dir(dest, manifest=man) is not None
        result.marker = dest / MARKER_NAME if result.complete else None
    emit(FetchEvent("finish", 0, len(files), bytes=result.bytes_downloaded))
    return result


def _fetch_all(run: _Run, files: Sequence[ManifestFile]) -> tuple[list[FetchFailure], list[ManifestFile]]:
    """Try every file; (the failures, the files not tried because a failure stopped the fetch)."""
    failures: list[FetchFailure] = []
    with _quiet_pooch():
        for index, entry in enumerate(files, 1):
            run.result.checks[entry.path] = entry.check
            try:
                _fetch_file(run, entry, index)
            except _Failed as err:
                failures.append(err.failure)
                run.emit(FetchEvent("failed", index, len(files), entry.path, verified=False))
                if err.failure.fatal:
                    return failures, list(files[index:])
    return failures, []


def _report_failures(dest: Path, files: Sequence[ManifestFile], failures: list[FetchFailure],
                     not_tried: list[ManifestFile], result: FetchResult) -> None:
    """Rewrite dest/fetch-errors.tsv (or remove it after a clean fetch); raise FetchError if anything failed."""
    try:
        errors_file = _update_errors_file(dest, files, failures, not_tried)
        listed = f"all listed in {errors_file}" if errors_file is not None else ""
    except OSError as err:
        errors_file = None
        listed = f"the list could not be written to {dest / ERRORS_NAME} ({err.strerror or err})"
    if failures:
        message, where = _failure_message(failures, len(not_tried), result, listed)
        raise FetchError(message, where, failures=failures, not_tried=[f.path for f in not_tried],
                         errors_file=errors_file, result=result)


# --------------------------------------------------------------------------- finding fetched data


def read_marker(path: Path) -> dict[str, Any] | None:
    """The completion marker of a fetched folder, or None if absent or unreadable."""
    try:
        data = json.loads((Path(path) / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def find_data_dir(path: Path | None = None, *, manifest: Manifest | None = None) -> Path | None:
    """The fetched data folder (default ``clika.paths.data_dir()``) if it holds a complete fetch.

    Complete: the marker is there, names the pinned commit, and every item and
    fictional file is present at its pinned size (sizes, not hashes: cheap
    enough for every command; `fetch` checks the hashes).
    """
    folder = Path(path).expanduser() if path is not None else paths.data_dir()
    marker = read_marker(folder)
    if marker is None or marker.get("complete") is not True:
        return None
    try:
        man = manifest if manifest is not None else load_manifest()
    except DataError:
        return None
    if marker.get("commit") != man.commit:
        return None
    for entry in man.required:
        try:
            if (folder / entry.path).stat().st_size != entry.size:
                return None
        except OSError:
            return None
    return folder


def missing_data_message(path: Path | None = None) -> str:
    """One-line hint for commands that need the data and found none."""
    if path is not None:
        where = str(Path(path).expanduser())
    else:
        choice = paths.data_dir_choice()
        where = f"{choice.path} ({choice.origin})"
    return f"no fetched CLiKA data in {where}: run `clika data fetch` (or pass --data-dir)"


def data_location_message(dest: Path) -> str:
    """After a complete fetch into ``dest``: one line saying whether later commands find it, and why."""
    choice = paths.data_dir_choice()
    if choice.path.expanduser().resolve() == Path(dest).expanduser().resolve():
        return (f"the CLiKA data is ready in {dest}: `clika run --tasks x_geo`, `clika conduct --data upstream` "
                f"and `clika data show` find it there ({choice.origin}; $CLIKA_DATA_DIR or --data-dir win over it)")
    return (f"the CLiKA data is ready in {dest}, but later commands look in {choice.path} ({choice.origin}): "
            f"pass --data-dir {dest} or set CLIKA_DATA_DIR={dest}")
