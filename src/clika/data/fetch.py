"""Download the CLiKA data from the upstream repository (library side of `clika data fetch`).

The files and their pinned hashes come from ``manifest.json`` beside this module (scripts/make_manifest.py, from
the upstream listing at the pinned commit): item and fictional files (always fetched) by sha256; prediction files
(``<model>_res*.jsonl``) and upstream's model input files (only with ``predictions=True``) by git blob id, the SHA-1
of ``b"blob <size>\\0" + content`` that git itself stores, from the repository's own tree. Each file comes from
``<base_url><path in the repository>``: by default the raw-file host at the pinned commit; any mirror of it works.

Pooch (https://www.fatiando.org/pooch) downloads; this module adds:

- Atomic, verified placement. Pooch's temporary file lives in its target folder under a random name (a killed
  process would leave it among the data), so pooch writes into a staging folder (``STAGING_NAME``, wiped at the
  start and end of every fetch); the file is hashed there (pooch knows no git blob id), deleted on a mismatch, else
  renamed into ``dest`` (same file system: atomic). A file in ``dest`` is thus either absent or verified.
- Resume: a file already in ``dest`` with the right hash is skipped; one with a wrong hash is replaced.
- Every file is tried, every failure reported (``ERRORS_NAME`` and a one-line ``FetchError``), unless every later
  file would fail alike (server unreachable, ``dest`` not writable): then the fetch stops.
- One-line errors: pooch lets ``requests`` exceptions and multi-sentence ``ValueError`` through; here they become
  ``DataError`` naming the URL or the file. No retries. Pooch's logger is silenced; progress goes to ``progress``.
- Readable permissions: pooch's temporary files are 0600; a placed file gets 0666 & ~umask.
- A marker, ``MARKER_NAME``, written atomically after a full fetch: ``find_data_dir`` trusts a folder only with it.
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
    "DEFAULT_TIMEOUT", "ERRORS_NAME", "MARKER_NAME", "FetchError", "FetchEvent", "FetchFailure", "FetchResult",
    "Manifest", "ManifestFile", "data_location_message", "describe_files", "fetch", "find_data_dir", "git_blob_id",
    "load_manifest", "missing_data_message", "normalize_base_url",
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


# --------------------------------------------------------------------------- manifest

@dataclass(frozen=True)
class ManifestFile:
    path: str  # as in the repository, "/"-separated
    group: str  # one of GROUPS
    sha256: str | None  # pinned sha256 (items, fictional), else None
    size: int | None
    git_blob: str | None = None  # pinned git blob id (predictions, inputs), else None

    @property
    def check(self) -> str:  # how the file is verified
        return "sha256" if self.sha256 is not None else "git blob"

    @property
    def expected(self) -> str:  # the pinned hash
        return self.sha256 or str(self.git_blob)


@dataclass(frozen=True)
class Manifest:
    repository: str
    commit: str
    base_url: str
    files: tuple[ManifestFile, ...]
    source: str = "manifest.json"

    @property
    def required(self) -> tuple[ManifestFile, ...]:  # the files of a complete fetch (items and fictional)
        return tuple(f for f in self.files if f.group in REQUIRED_GROUPS)

    def select(self, *, predictions: bool = False, only: Sequence[str] | None = None) -> list[ManifestFile]:
        """The files to fetch: items and fictional (+ predictions), restricted to the ``only`` prefixes, each a
        repository path of a file or folder ("x_geo", "fictional/train/ZH.json"). An entry that matches no
        file is a ConfigError (a typo would otherwise fetch nothing)."""
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


def _parse_manifest(data: Any, source: str) -> Manifest:
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    for key in ("repository", "commit", "base_url"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ValueError(f"missing string field {key!r}")
    if not isinstance(data.get("files"), list):
        raise ValueError("missing list field 'files'")
    files: dict[str, ManifestFile] = {}
    for n, entry in enumerate(data["files"], 1):
        if not isinstance(entry, dict):
            raise ValueError(f"file entry {n} is not an object")
        rel = _check_path(entry.get("path"))
        group, sha, blob, size = (entry.get(key) for key in ("group", "sha256", "git_blob", "size"))
        if group not in GROUPS:
            raise ValueError(f"{rel}: unknown group {group!r}")
        for key, value, digits in (("sha256", sha, 64), ("git_blob", blob, 40)):
            if value is not None and (not isinstance(value, str) or not re.fullmatch(f"[0-9a-f]{{{digits}}}", value)):
                raise ValueError(f"{rel}: {key} must be {digits} lowercase hex digits")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            raise ValueError(f"{rel}: size must be a non-negative integer or null")
        if (sha is None) == (blob is None):
            raise ValueError(f"{rel}: needs exactly one pinned hash, sha256 or git_blob")
        if group in REQUIRED_GROUPS and sha is None:
            raise ValueError(f"{rel}: files of group {group!r} need a pinned sha256")
        if rel in files:
            raise ValueError(f"{rel}: listed twice")
        files[rel] = ManifestFile(rel, group, sha, size, blob)
    return Manifest(data["repository"], data["commit"], data["base_url"], tuple(files.values()), source)


def load_manifest(path: Path | None = None) -> Manifest:
    """The shipped manifest (or the one at ``path``), checked; a bad one is a one-line DataError."""
    where: Path | str = Path(path) if path is not None else "clika/data/manifest.json"
    try:
        file = Path(path) if path is not None else resources.files("clika.data").joinpath("manifest.json")
        text = file.read_text(encoding="utf-8")
    except OSError as err:
        raise DataError(f"cannot read the data manifest: {err.strerror or err}", where if path else None) from None
    try:
        return _parse_manifest(json.loads(text), str(where))
    except (ValueError, json.JSONDecodeError) as err:
        raise DataError(f"invalid data manifest: {err}", where) from None


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
        """How one file of this fetch ended, and how it was verified."""
        how = "downloaded" if path in self.downloaded else "skipped (already present)"
        return f"{how}, verified ({self.checks[path]})"

    def summary(self) -> str:  # one line for the CLI
        by_check = {c: sum(v == c for v in self.checks.values()) for c in ("sha256", "git blob")}
        checked = " and ".join(f"{n} by {c}" for c, n in by_check.items() if n)
        text = (f"{self.count} file(s) in {self.dest}, each verified ({checked}): {len(self.downloaded)} downloaded, "
                f"{len(self.skipped)} already present (skipped)")
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
    return f"{_files(len(files))}, {_mb(sum(f.size or 0 for f in files))}: " + "; ".join(parts)


def git_blob_id(path: Path) -> str:
    """The git blob id of a file: SHA-1 of b"blob <size>\\0" + content (what `git hash-object` prints)."""
    digest = hashlib.sha1(b"blob %d\0" % Path(path).stat().st_size)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _hash(path: Path, entry: ManifestFile) -> str:
    """The hash of a local file by the check its manifest entry pins (to compare with ``entry.expected``)."""
    import pooch

    return pooch.file_hash(str(path), alg="sha256") if entry.sha256 is not None else git_blob_id(path)


# --------------------------------------------------------------------------- pooch glue

class _ProgressBar:
    """The progress-bar object pooch's HTTPDownloader drives (tqdm protocol: total, update, reset, close)."""

    def __init__(self, emit: Callable[[FetchEvent], None], index: int, count: int, path: str, size: int | None):
        self._emit, self._index, self._count, self._path, self._size = emit, index, count, path, size
        self._received = 0
        self._final = False
        self.total = 0

    def update(self, n: int) -> None:
        if self._final:  # pooch's closing reset()/update(total): the "done" event gives the true size
            return
        self._received += n
        size = self._size or (self.total or None)
        shown = min(self._received, size) if size else self._received
        self._emit(FetchEvent("progress", self._index, self._count, self._path, shown, size))

    def reset(self) -> None:  # called by pooch's HTTPDownloader once the body is read
        self._final = True

    close = reset


def _file_mode() -> int:
    """0o666 & ~umask: the permissions a new file usually gets."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _network_error(err: Exception, url: str, path: str, timeout: float, commit: str) -> tuple[str, bool, DataError]:
    """(short reason, fatal, one-line error) for a requests exception; fatal: every later file would
    fail the same way (the server cannot be reached), so the fetch stops."""
    import requests

    ex = requests.exceptions
    unreachable = f"while fetching {path}; check the network or the base URL"
    if isinstance(err, ex.HTTPError) and err.response is not None:
        if err.response.status_code == 404:
            return "HTTP 404 not found", False, DataError(f"not found (HTTP 404) while fetching {path}; is the base "
                                                          f"URL a copy of the repository at commit {commit[:12]}?", url)
        short = f"HTTP {err.response.status_code} {err.response.reason or ''}".rstrip()
        return short, False, DataError(f"{short} while fetching {path}", url)
    if isinstance(err, ex.Timeout):
        return "timeout", True, DataError(f"no answer within {timeout:g} s (timeout) {unreachable}", url)
    if isinstance(err, ex.ConnectionError):
        errno = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(err))
        reason = (errno.group(1).strip().rstrip(".") if errno else "connection failed").lower()
        return f"cannot connect ({reason})", True, DataError(f"cannot connect ({reason}) {unreachable}", url)
    if isinstance(err, ex.ChunkedEncodingError | ex.ContentDecodingError):
        return "connection broken mid-download", False, DataError(
            f"connection broken mid-download of {path}; nothing was kept, run the fetch again", url)
    name = type(err).__name__
    return f"download failed ({name})", False, DataError(f"download of {path} failed ({name})", url)


# --------------------------------------------------------------------------- fetch

def _write_atomic(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` through a temporary file in the same folder (never half-written)."""
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, _file_mode())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_marker(dest: Path, manifest: Manifest, base_url: str) -> Path:
    predictions = [f for f in manifest.files if f.group not in REQUIRED_GROUPS]
    marker = {"repository": manifest.repository, "commit": manifest.commit, "base_url": base_url,
              "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"), "complete": True,
              "files": {g: sum(f.group == g for f in manifest.files) for g in REQUIRED_GROUPS},
              "predictions": bool(predictions) and all((dest / f.path).is_file() for f in predictions)}
    target = dest / MARKER_NAME
    _write_atomic(target, json.dumps(marker, indent=2) + "\n")
    return target


def _report_failures(files: Sequence[ManifestFile], failures: list[FetchFailure], not_tried: Sequence[ManifestFile],
                     result: FetchResult) -> None:
    """Rewrite ``dest/ERRORS_NAME``: rows of files outside this fetch's selection stay, those of the selection
    become its failures and the files it did not try; an empty list is deleted. Then raise the one-line
    FetchError if anything failed: a single failure keeps its own message (and the file or URL it names);
    several are counted, the first few named with expected vs got hash."""
    errors_file: Path | None = result.dest / ERRORS_NAME
    try:
        earlier = [tuple(line.split("\t")) for line in errors_file.read_text(encoding="utf-8").splitlines()[1:]]
    except (OSError, UnicodeDecodeError):
        earlier = []
    chosen = {f.path for f in files}
    rows = {row[0]: row for row in earlier if len(row) == len(ERRORS_HEADER) and row[0] and row[0] not in chosen}
    for f in failures:
        rows[f.path] = (f.path, f.check, f.expected, f.got or "", str(f.error))
    for entry in not_tried:
        why = f"not tried: the fetch stopped after {failures[-1].path} ({failures[-1].reason})"
        rows[entry.path] = (entry.path, entry.check, entry.expected, "", why)
    try:
        if rows:
            lines = ("\t".join(" ".join(c.split()) for c in row) for row in rows.values())  # no tab/newline in a cell
            _write_atomic(errors_file, "\n".join(["\t".join(ERRORS_HEADER), *lines]) + "\n")
            listed = f"all listed in {errors_file}"
        else:
            errors_file.unlink(missing_ok=True)
            errors_file, listed = None, ""
    except OSError as err:
        listed = f"the list could not be written to {result.dest / ERRORS_NAME} ({err.strerror or err})"
        errors_file = None
    if not failures:
        return
    if len(failures) == 1:
        text, where = failures[0].error.message, failures[0].error.path
    else:
        shown = "; ".join(f.short() for f in failures[:SHOWN_FAILURES])
        more = len(failures) - SHOWN_FAILURES
        text = (f"{len(failures)} of {result.count} files failed and were not kept: {shown}"
                + (f"; and {more} more" if more > 0 else ""))
        where = None
    if not_tried:
        text += f"; the fetch stopped there ({failures[-1].reason}): {_files(len(not_tried))} not tried"
    verified = len(result.downloaded) + len(result.skipped)
    kept = f"{_files(verified)} verified and in place, a rerun fetches only the rest" if verified else "no file kept"
    raise FetchError(f"{text}; {listed}; {kept}", where, failures=failures, not_tried=[f.path for f in not_tried],
                     errors_file=errors_file, result=result)


def _fetch_file(pup: Any, entry: ManifestFile, index: int, result: FetchResult, emit: Callable[[FetchEvent], None],
                bar: _ProgressBar | None, timeout: float, mode: int) -> FetchFailure | None:
    """Put one verified file at ``dest/<path>`` through the staging folder of ``pup`` (or find it there);
    else its failure, and nothing is kept. ``mode``: permissions of a placed file."""
    import pooch
    import requests

    count = result.count
    target = result.dest / entry.path
    url = pup.get_url(entry.path)

    def failed(reason: str, error: DataError, got: str | None = None, fatal: bool = False) -> FetchFailure:
        return FetchFailure(entry.path, entry.check, entry.expected, got, reason, error, fatal)

    if target.is_dir():
        return failed("a folder is in the way", DataError("a folder is in the way of a data file", target))
    try:
        if target.is_file():
            if _hash(target, entry) == entry.expected:
                result.skipped.append(entry.path)
                emit(FetchEvent("skip", index, count, entry.path, target.stat().st_size, entry.size, verified=True))
                return None
            target.unlink()  # a wrong file must not stay, whatever happens next
            result.replaced.append(entry.path)
    except OSError as err:
        return failed("cannot read or remove the present file",
                      DataError(f"cannot read or remove the data file: {err.strerror or err}", target), fatal=True)
    emit(FetchEvent("download", index, count, entry.path, 0, entry.size))
    downloader = pooch.HTTPDownloader(progressbar=bar or False, chunk_size=_CHUNK, timeout=timeout)
    try:
        staged = Path(pup.fetch(entry.path, downloader=downloader))
        if (got := _hash(staged, entry)) != entry.expected:
            staged.unlink()
            message = (f"{entry.check} mismatch: expected {entry.expected}, got {got} (from {url}); "
                       "the download was discarded, nothing was written")
            return failed(f"{entry.check} mismatch", DataError(message, entry.path), got=got)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(staged, mode)
        os.replace(staged, target)
    except requests.exceptions.RequestException as err:  # before OSError, its base class
        reason, fatal, error = _network_error(err, url, entry.path, timeout, result.commit)
        return failed(reason, error, fatal=fatal)
    except ValueError as err:
        return failed("download failed", DataError(f"download failed: {err}", url))
    except OSError as err:
        return failed("cannot write the data file",
                      DataError(f"cannot write the data file: {err.strerror or err}", target), fatal=True)

    size = target.stat().st_size
    result.downloaded.append(entry.path)
    result.bytes_downloaded += size
    emit(FetchEvent("done", index, count, entry.path, size, entry.size, verified=True))
    return None


def _fetch_all(pup: Any, files: Sequence[ManifestFile], result: FetchResult, emit: Callable[[FetchEvent], None],
               show_progress: bool, timeout: float) -> tuple[list[FetchFailure], Sequence[ManifestFile]]:
    """(failures, files not tried): every file in turn, until a failure that every later file would share."""
    mode = _file_mode()
    failures: list[FetchFailure] = []
    for index, entry in enumerate(files, 1):
        result.checks[entry.path] = entry.check
        bar = _ProgressBar(emit, index, len(files), entry.path, entry.size) if show_progress else None
        if (failure := _fetch_file(pup, entry, index, result, emit, bar, timeout, mode)) is None:
            continue
        failures.append(failure)
        emit(FetchEvent("failed", index, len(files), entry.path, verified=False))
        if failure.fatal:
            return failures, files[index:]
    return failures, []


def fetch(dest: Path | None = None, base_url: str | None = None, *, predictions: bool = False,
          only: Sequence[str] | None = None, progress: ProgressCallback | None = None,
          timeout: float = DEFAULT_TIMEOUT, manifest: Manifest | None = None) -> FetchResult:
    """Download the CLiKA data into ``dest`` (default ``clika.paths.data_dir()``).

    ``base_url``: where the repository's files are served (default: the raw-file host at the pinned commit).
    ``predictions``: also fetch every prediction and model input file. ``only``: repository paths (files or
    folders) to restrict the fetch to; no completion marker is written then. ``progress``: called with a
    FetchEvent for every step; nothing is printed. ``timeout``: seconds to wait for a connection or for data.

    If any file failed (a hash mismatch, an HTTP error, a broken download), raises FetchError naming the count,
    the first few files with both hashes, and ``dest/fetch-errors.tsv`` that lists them all (path, check, expected
    hash, hash of what was downloaded or empty, the error); no failed file is kept, the verified ones are.
    ConfigError for a bad base URL or an unusable ``dest``. A rerun downloads only what is not verified in place.
    """
    man = manifest if manifest is not None else load_manifest()
    base = normalize_base_url(base_url if base_url is not None else man.base_url)
    if not timeout > 0:
        raise ConfigError(f"timeout must be positive, got {timeout!r}")
    files = man.select(predictions=predictions, only=only)
    dest = Path(dest).expanduser() if dest is not None else paths.data_dir()
    if dest.exists() and not dest.is_dir():
        raise ConfigError("the data folder is not a folder", dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"cannot create the data folder: {err.strerror or err}", dest) from None
    emit = progress if progress is not None else (lambda event: None)
    result = FetchResult(dest, man.repository, man.commit, base, len(files))
    staging = dest / STAGING_NAME
    shutil.rmtree(staging, ignore_errors=True)  # leftovers of a killed fetch

    import pooch

    # no hash for pooch to check: it knows no git blob id, so _fetch_file checks every file alike
    pup = pooch.create(path=staging, base_url=base, registry=dict.fromkeys((f.path for f in files), None),
                       urls={f.path: base + quote(f.path, safe="/") for f in files}, retry_if_failed=0)
    emit(FetchEvent("start", 0, len(files), size=sum(f.size or 0 for f in files)))
    try:
        with quiet_logger(pooch.get_logger(), logging.WARNING):
            failures, not_tried = _fetch_all(pup, files, result, emit, progress is not None, timeout)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _report_failures(files, failures, not_tried, result)

    if only is None:
        result.marker = _write_marker(dest, man, base)
        result.complete = True
    else:
        result.complete = find_data_dir(dest, manifest=man) is not None
        result.marker = dest / MARKER_NAME if result.complete else None
    emit(FetchEvent("finish", 0, len(files), bytes=result.bytes_downloaded))
    return result


# --------------------------------------------------------------------------- finding fetched data

def find_data_dir(path: Path | None = None, *, manifest: Manifest | None = None) -> Path | None:
    """The fetched data folder (default ``clika.paths.data_dir()``) if it holds a complete fetch: the marker
    is there, names the pinned commit, and every item and fictional file is present at its pinned size (sizes,
    not hashes: cheap enough for every command; `fetch` checks the hashes)."""
    folder = Path(path).expanduser() if path is not None else paths.data_dir()
    try:
        marker = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
        if not isinstance(marker, dict) or marker.get("complete") is not True:
            return None
        man = manifest if manifest is not None else load_manifest()
        complete = marker.get("commit") == man.commit and all(
            (folder / entry.path).stat().st_size == entry.size for entry in man.required)
    except (DataError, OSError, ValueError):
        return None
    return folder if complete else None


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
