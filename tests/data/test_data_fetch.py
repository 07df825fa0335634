"""`clika data fetch`, library side: downloads over a real HTTP server on 127.0.0.1.

The server serves a temporary copy of the needed files of ../shared/clika-data
(whose item and fictional files are byte-identical to upstream, so the shipped
manifest's hashes apply); most tests restrict the fetch to x_geo to stay fast.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from clika import paths
from clika.data import load_items
from clika.data.fetch import (
    ERRORS_NAME,
    MARKER_NAME,
    STAGING_NAME,
    FetchError,
    FetchEvent,
    data_location_message,
    describe_files,
    fetch,
    find_data_dir,
    git_blob_id,
    load_manifest,
    missing_data_message,
    normalize_base_url,
)
from clika.data.upstream_items import is_upstream_root
from clika.errors import ConfigError, DataError
from clika.items import LANGS

REPO_ROOT = Path(__file__).resolve().parents[2]
GEO = "x_geo/en/en_geo_data.jsonl"
# llama2_7b's prediction files in ../shared/clika-data are byte-identical to upstream (most others dropped fields)
PRED = "x_geo/en/llama2_7b_res_bf16_add_simple_example.jsonl"

pytestmark = pytest.mark.timeout(120)


class _Handler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.requests.append(self.path.lstrip("/"))  # type: ignore[attr-defined]
        truncated = self.server.truncate  # type: ignore[attr-defined]
        if self.path.lstrip("/") in truncated:
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b'{"id": 1, "res": "A"')  # then the connection closes
            return
        super().do_GET()

    def log_message(self, format: str, *args) -> None:  # quiet
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # A client that stops reading (a hash mismatch, a timeout test) is expected here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Server:
    """A real HTTP server on 127.0.0.1 serving ``root``, in a thread."""

    def __init__(self, root: Path):
        self.root = root
        handler = functools.partial(_Handler, directory=str(root))
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.httpd.requests = []  # type: ignore[attr-defined]
        self.httpd.truncate = set()  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    @property
    def requests(self) -> list[str]:
        return self.httpd.requests  # type: ignore[attr-defined]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _copy(shared: Path, root: Path, rels) -> Path:
    for rel in rels:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared / rel, root / rel)
    return root


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    """The test server is on 127.0.0.1: never route it through a proxy from the environment."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="module")
def manifest():
    return load_manifest()


@pytest.fixture(scope="module")
def full_server(shared_data, manifest, tmp_path_factory):
    root = _copy(shared_data, tmp_path_factory.mktemp("served-full"), [f.path for f in manifest.required])
    server = Server(root)
    yield server
    server.close()


@pytest.fixture
def geo_server(shared_data, manifest, tmp_path):
    rels = [f.path for f in manifest.files if f.group == "items" and f.path.startswith("x_geo/")]
    server = Server(_copy(shared_data, tmp_path / "served", rels))
    yield server
    server.close()


def _assert_one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def _error_rows(dest: Path) -> list[dict[str, str]]:
    """The rows of dest/fetch-errors.tsv, as dicts by its header."""
    header, *lines = (dest / ERRORS_NAME).read_text(encoding="utf-8").splitlines()
    assert header.split("\t") == ["path", "check", "expected", "got", "error"]
    return [dict(zip(header.split("\t"), line.split("\t"), strict=True)) for line in lines]


def _tamper(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\n")


# --------------------------------------------------------------------------- manifest


def _upstream_tree(shared: Path) -> dict[str, tuple[str, int]]:
    """path -> (git blob id, size) of every file of the upstream repository at the pinned commit."""
    rows = [line.split("\t") for line in (shared / "upstream-tree.tsv").read_text(encoding="utf-8").splitlines()]
    return {path: (blob, int(size)) for _mode, kind, blob, size, path in rows[1:] if kind == "blob"}


def test_manifest_pins_every_upstream_data_file(shared_data, manifest):
    assert manifest.commit == "51059fe908ae2508740732056d8db3eba6c0f751"
    assert manifest.base_url == f"https://raw.githubusercontent.com/RiverGao/CLiKA/{manifest.commit}/"
    tree = _upstream_tree(shared_data)
    groups = Counter(f.group for f in manifest.files)
    res_files = {p for p in tree if p.startswith("x_") and "_res" in p.rsplit("/", 1)[-1] and p.endswith(".jsonl")}
    assert groups["items"] == 41 and groups["fictional"] == 29
    assert {f.path for f in manifest.files if f.group == "predictions"} == res_files  # every _res file of the tree
    for entry in manifest.files:
        assert entry.path in tree, entry.path  # the paths are the repository's (same folder case)
        if entry.group in ("predictions", "inputs"):
            assert (entry.git_blob, entry.size) == tree[entry.path] and entry.sha256 is None
        else:
            local = shared_data / entry.path
            assert entry.sha256 == _sha256(local) and entry.size == local.stat().st_size
            assert git_blob_id(local) == tree[entry.path][0]  # the local item file is upstream's
    assert git_blob_id(shared_data / PRED) == tree[PRED][0]  # the file the prediction fetch tests serve


def test_describe_files_counts_models_variant_runs_and_bytes(manifest):
    preds = [f for f in manifest.files if f.group == "predictions"]
    text = describe_files(preds)
    names = [re.fullmatch(r"(.+?)_res(?:_(.+))?\.jsonl", f.path.rsplit("/", 1)[-1]) for f in preds]
    models = {m[1] for m in names}
    variants = {(m[1], m[2]) for m in names if m[2] not in (None, "bf16_add_simple_example")}
    assert text.startswith(f"{len(preds):,} files, {sum(f.size for f in preds) / 1e6:,.1f} MB")
    assert f"of {len(models)} models and {len(variants)} variant runs: " in text
    assert "chatgpt@visual (9 files)" in text and "plain-text dumps" in text
    assert "\n" not in text


def test_manifest_is_up_to_date(shared_data):
    script = REPO_ROOT / "scripts" / "make_manifest.py"
    run = subprocess.run([sys.executable, str(script), "--source", str(shared_data), "--check"],
                         check=False, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def test_a_bad_manifest_is_a_one_line_error(tmp_path):
    bad = tmp_path / "manifest.json"
    entry = {"path": "../etc/passwd", "group": "items", "sha256": "0" * 64, "size": 1}
    bad.write_text(json.dumps({"repository": "r", "commit": "c", "base_url": "http://x/", "files": [entry]}))
    with pytest.raises(DataError) as err:
        load_manifest(bad)
    assert "must be relative" in _assert_one_line(err) and str(bad) in str(err.value)


# --------------------------------------------------------------------------- paths


def test_paths_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("CLIKA_DATA_DIR", raising=False)
    monkeypatch.setenv("CLIKA_CACHE", str(tmp_path / "cache"))
    assert paths.cache_root() == tmp_path / "cache"
    assert paths.data_dir() == tmp_path / "cache" / "data"
    monkeypatch.setenv("CLIKA_DATA_DIR", str(tmp_path / "elsewhere"))
    assert paths.data_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("CLIKA_CACHE")
    assert paths.cache_root() == Path.home() / ".cache" / "clika"


def test_no_data_means_a_one_line_hint(monkeypatch, tmp_path):
    monkeypatch.setenv("CLIKA_DATA_DIR", str(tmp_path / "nothing"))
    assert find_data_dir() is None
    hint = missing_data_message()
    assert "run `clika data fetch` (or pass --data-dir)" in hint and "\n" not in hint
    assert f"{tmp_path / 'nothing'} ($CLIKA_DATA_DIR)" in hint


def test_a_remembered_data_dir_is_used_unless_the_environment_says_otherwise(monkeypatch, tmp_path):
    monkeypatch.delenv("CLIKA_DATA_DIR", raising=False)
    monkeypatch.setenv("CLIKA_CACHE", str(tmp_path / "cache"))
    assert paths.data_dir_choice() == paths.DataDir(tmp_path / "cache" / "data", "the default")
    written = paths.remember_data_dir(tmp_path / "mine")
    assert written == tmp_path / "cache" / "data-location.json"
    assert paths.data_dir_choice() == paths.DataDir(tmp_path / "mine", f"remembered in {written}")
    assert "remembered in" in data_location_message(tmp_path / "mine")
    monkeypatch.setenv("CLIKA_DATA_DIR", str(tmp_path / "env"))
    assert paths.data_dir() == tmp_path / "env"  # the environment wins
    text = data_location_message(tmp_path / "mine")
    assert f"later commands look in {tmp_path / 'env'} ($CLIKA_DATA_DIR)" in text
    assert f"--data-dir {tmp_path / 'mine'}" in text and "\n" not in text
    monkeypatch.delenv("CLIKA_DATA_DIR")
    written.write_text("{not json")  # a broken file: the default applies
    assert paths.data_dir() == tmp_path / "cache" / "data"


def test_base_url_takes_a_trailing_slash_or_not():
    assert normalize_base_url("http://h:1/a") == normalize_base_url("http://h:1/a/") == "http://h:1/a/"
    for bad in ("ftp://h/a", "h/a", "/some/folder", "http://h/a?x=1"):
        with pytest.raises(ConfigError):
            normalize_base_url(bad)


# --------------------------------------------------------------------------- fetching


def test_full_fetch_is_a_loadable_upstream_layout(full_server, manifest, tmp_path, capfd):
    dest = tmp_path / "data"
    events: list[FetchEvent] = []
    result = fetch(dest, full_server.url, progress=events.append)

    assert result.complete and result.count == len(manifest.required) == 70
    assert sorted(result.downloaded) == sorted(f.path for f in manifest.required)
    assert not result.skipped and not result.replaced and set(result.checks.values()) == {"sha256"}
    assert is_upstream_root(dest) and find_data_dir(dest) == dest
    items = load_items(dest, tasks=["x_geo"])
    assert Counter(i.lang for i in items) == {lang: 200 for lang in LANGS}

    marker = json.loads((dest / MARKER_NAME).read_text())
    assert marker["commit"] == manifest.commit and marker["complete"] is True and marker["fetched_at"]
    assert _files_under(dest) == {f.path for f in manifest.required} | {MARKER_NAME}
    assert not (dest / STAGING_NAME).exists()
    mask = os.umask(0o022)
    os.umask(mask)
    assert (dest / GEO).stat().st_mode & 0o777 == 0o666 & ~mask  # not pooch's 0600 temp mode

    # progress: start, then download/progress/done for file n of N, then finish
    assert events[0].kind == "start" and events[0].count == 70
    assert events[0].size == sum(f.size for f in manifest.required)
    assert events[-1].kind == "finish" and events[-1].bytes == result.bytes_downloaded
    done = [e for e in events if e.kind == "done"]
    assert [e.index for e in done] == list(range(1, 71)) and all(e.verified for e in done)
    assert all(e.bytes == e.size for e in done)
    assert all(0 < e.bytes <= e.size for e in events if e.kind == "progress")
    assert any(e.kind == "progress" for e in events)

    out, err = capfd.readouterr()
    assert out == "" and err == ""  # the library prints nothing (pooch's log is silenced)


def test_rerun_resumes_and_refetches_only_what_is_missing_or_wrong(geo_server, tmp_path):
    dest = tmp_path / "data"
    first = fetch(dest, geo_server.url.rstrip("/"), only=["x_geo"])  # no trailing slash
    assert len(first.downloaded) == 10 and len(geo_server.requests) == 10
    assert not first.complete and not (dest / MARKER_NAME).exists()  # a restricted fetch is not complete

    second = fetch(dest, geo_server.url, only=["x_geo"])
    assert second.downloaded == [] and len(second.skipped) == 10
    assert len(geo_server.requests) == 10  # nothing downloaded again
    assert "0 downloaded, 10 already present (skipped)" in second.summary()

    (dest / GEO).unlink()
    edited = dest / "x_geo/de/de_geo_data.jsonl"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    third = fetch(dest, geo_server.url, only=["x_geo"])
    assert sorted(third.downloaded) == sorted([GEO, "x_geo/de/de_geo_data.jsonl"])
    assert third.replaced == ["x_geo/de/de_geo_data.jsonl"] and len(third.skipped) == 8
    assert sorted(geo_server.requests[10:]) == sorted([GEO, "x_geo/de/de_geo_data.jsonl"])
    assert _sha256(edited) == _sha256(geo_server.root / "x_geo/de/de_geo_data.jsonl")


def test_tampered_file_on_the_server_is_a_one_line_error_and_is_not_kept(geo_server, manifest, tmp_path):
    served = geo_server.root / GEO
    served.write_bytes(served.read_bytes().replace(b"Paris", b"Lyon", 1) + b"\n")
    dest = tmp_path / "data"
    with pytest.raises(DataError) as err:
        fetch(dest, geo_server.url, only=["x_geo"])
    text = _assert_one_line(err)
    expected = next(f.sha256 for f in manifest.files if f.path == GEO)
    assert text.startswith(f"{GEO}: sha256 mismatch")
    assert expected in text and _sha256(served) in text
    assert err.value.path == GEO
    assert f"all listed in {dest / ERRORS_NAME}; 9 files verified and in place" in text
    assert not (dest / GEO).exists()
    assert not (dest / STAGING_NAME).exists() and not (dest / MARKER_NAME).exists()
    # only verified files are in dest (and the errors file): no temporary or half-written file
    assert _files_under(dest) - {ERRORS_NAME} == {f.path for f in manifest.required
                                                  if f.path.startswith("x_geo/") and f.path != GEO}
    for rel in _files_under(dest) - {ERRORS_NAME}:
        assert _sha256(dest / rel) == next(f.sha256 for f in manifest.files if f.path == rel)


DE = "x_geo/de/de_geo_data.jsonl"


def test_two_tampered_files_are_both_reported_none_is_kept_and_a_rerun_fetches_only_them(
        geo_server, shared_data, manifest, tmp_path):
    sha = {f.path: f.sha256 for f in manifest.required}
    for rel in (GEO, DE):
        _tamper(geo_server.root / rel)
    dest = tmp_path / "data"
    events: list[FetchEvent] = []
    with pytest.raises(FetchError) as err:
        fetch(dest, geo_server.url, only=["x_geo"], progress=events.append)

    text = _assert_one_line(err)
    assert text.startswith("2 of 10 files failed and were not kept: ")
    for rel in (GEO, DE):  # both named, with expected vs got hash
        assert f"{rel} (sha256 expected {sha[rel][:12]}, got {_sha256(geo_server.root / rel)[:12]})" in text
    assert text.endswith(f"; all listed in {dest / ERRORS_NAME}; 8 files verified and in place, "
                         "a rerun fetches only the rest")
    assert isinstance(err.value, DataError) and err.value.path is None
    assert err.value.errors_file == dest / ERRORS_NAME and err.value.not_tried == ()
    assert sorted(f.path for f in err.value.failures) == sorted([GEO, DE])
    assert len(err.value.result.downloaded) == 8
    assert len(geo_server.requests) == 10  # the first mismatch did not stop the fetch
    assert sorted(e.path for e in events if e.kind == "failed") == sorted([GEO, DE])
    assert not any(e.kind == "finish" for e in events)

    rows = {r["path"]: r for r in _error_rows(dest)}  # the full list, full hashes
    assert set(rows) == {GEO, DE}
    for rel in (GEO, DE):
        assert (rows[rel]["check"], rows[rel]["expected"], rows[rel]["got"]) == (
            "sha256", sha[rel], _sha256(geo_server.root / rel))
        assert rows[rel]["error"].startswith(f"{rel}: sha256 mismatch: expected {sha[rel]}")

    # neither bad file is at its final path; the eight good ones are, verified; no marker, no staging
    geo_files = {p for p in sha if p.startswith("x_geo/")}
    assert _files_under(dest) == (geo_files - {GEO, DE}) | {ERRORS_NAME}
    for rel in geo_files - {GEO, DE}:
        assert _sha256(dest / rel) == sha[rel]
    assert not (dest / MARKER_NAME).exists() and not (dest / STAGING_NAME).exists()

    # the source fixed for one file: fetching that file asks for it alone, and drops it from the list
    shutil.copyfile(shared_data / GEO, geo_server.root / GEO)
    before = len(geo_server.requests)
    one = fetch(dest, geo_server.url, only=[GEO])
    assert one.downloaded == [GEO] and geo_server.requests[before:] == [GEO]
    assert [r["path"] for r in _error_rows(dest)] == [DE]  # still missing, still listed

    # fixed for both: a rerun of the whole selection fetches only what was missing; the list is gone
    shutil.copyfile(shared_data / DE, geo_server.root / DE)
    again = fetch(dest, geo_server.url, only=["x_geo"])
    assert again.downloaded == [DE] and len(again.skipped) == 9 and not again.replaced
    assert geo_server.requests[before + 1:] == [DE]
    assert not (dest / ERRORS_NAME).exists()
    assert _files_under(dest) == geo_files
    for rel in geo_files:
        assert _sha256(dest / rel) == sha[rel]


def test_mismatches_and_missing_files_are_all_listed_and_a_full_fetch_writes_no_marker(
        geo_server, manifest, tmp_path):
    small = dataclasses.replace(manifest, files=tuple(f for f in manifest.required if f.path.startswith("x_geo/")))
    order = [f.path for f in small.files]
    tampered, missing = order[1:3], order[5:7]
    for rel in tampered:
        _tamper(geo_server.root / rel)
    for rel in missing:
        (geo_server.root / rel).unlink()
    dest = tmp_path / "data"
    with pytest.raises(FetchError) as err:
        fetch(dest, geo_server.url, manifest=small)  # a full fetch of the small manifest

    text = _assert_one_line(err)
    shown = "; ".join([*(f"{rel} (sha256 expected" for rel in tampered), f"{missing[0]} (HTTP 404 not found)"])
    assert text.startswith("4 of 10 files failed and were not kept: ")
    assert all(part in text for part in shown.split("; "))
    assert f"{missing[0]} (HTTP 404 not found); and 1 more; all listed in {dest / ERRORS_NAME}; 6 files" in text
    assert missing[1] not in text  # beyond the first three: in the file only
    assert len(geo_server.requests) == 10

    rows = {r["path"]: r for r in _error_rows(dest)}
    assert list(rows) == tampered + missing  # in fetch order
    for rel in missing:
        assert rows[rel]["got"] == "" and rows[rel]["expected"] == next(f.sha256 for f in small.files if f.path == rel)
        assert rows[rel]["error"].startswith(f"{geo_server.url}{rel}: not found (HTTP 404)")
    assert not (dest / MARKER_NAME).exists() and find_data_dir(dest, manifest=small) is None
    assert _files_under(dest) == set(order) - set(tampered) - set(missing) | {ERRORS_NAME}


def test_cli_fetch_with_two_mismatches_exits_1_with_one_line_and_the_list(geo_server, tmp_path):
    for rel in (GEO, DE):
        _tamper(geo_server.root / rel)
    dest = tmp_path / "data"
    env = {**os.environ, "CLIKA_CACHE": str(tmp_path / "cache"), "NO_PROXY": "127.0.0.1,localhost"}
    for name in ("CLIKA_DATA_DIR", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(name, None)
    clika = Path(sys.executable).parent / "clika"
    run = subprocess.run([str(clika), "data", "fetch", "--url", geo_server.url, "--dest", str(dest), "--task",
                          "x_geo"], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].startswith("error: 2 of 10 files failed and were not kept: ")
    assert GEO in errors[0] and DE in errors[0] and f"all listed in {dest / ERRORS_NAME}" in errors[0]
    assert {r["path"] for r in _error_rows(dest)} == {GEO, DE}
    assert not (dest / GEO).exists() and not (dest / DE).exists()


def test_server_down_is_a_one_line_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    dest = tmp_path / "data"
    start = time.monotonic()
    with pytest.raises(DataError) as err:
        fetch(dest, f"http://127.0.0.1:{port}", only=["x_geo"])
    text = _assert_one_line(err)
    assert text.startswith(f"http://127.0.0.1:{port}/x_geo/") and "connection refused" in text
    assert "the fetch stopped there (cannot connect (connection refused)): 9 files not tried" in text
    assert text.endswith("; no file kept")
    assert time.monotonic() - start < 10  # no retries, and no try of the nine other files
    assert _files_under(dest) == {ERRORS_NAME}
    rows = _error_rows(dest)
    assert len(rows) == 10 and "connection refused" in rows[0]["error"]
    assert all(r["error"].startswith(f"not tried: the fetch stopped after {rows[0]['path']}") for r in rows[1:])


def test_missing_file_on_the_server_is_a_one_line_404_error(geo_server, tmp_path):
    (geo_server.root / GEO).unlink()
    with pytest.raises(DataError) as err:
        fetch(tmp_path / "data", geo_server.url, only=["x_geo"])
    text = _assert_one_line(err)
    assert text.startswith(f"{geo_server.url}{GEO}: ") and "HTTP 404" in text
    assert geo_server.requests.count(GEO) == 1  # asked once, no retry


def test_a_silent_server_times_out_with_a_one_line_error(tmp_path):
    with socket.socket() as s:  # accepts connections (backlog) but never answers
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        url = f"http://127.0.0.1:{s.getsockname()[1]}/"
        with pytest.raises(DataError) as err:
            fetch(tmp_path / "data", url, only=[GEO], timeout=0.5)
    text = _assert_one_line(err)
    assert text.startswith(url + GEO) and "timeout" in text


def test_prediction_files_are_fetched_on_request_and_verified_by_git_blob(shared_data, manifest, tmp_path):
    inputs = "x_geo/en/generate_input.jsonl"
    server = Server(_copy(shared_data, tmp_path / "served", [GEO, PRED, inputs]))
    try:
        dest = tmp_path / "data"
        plain = fetch(dest, server.url, only=["x_geo/en"])
        assert plain.downloaded == [GEO] and plain.checks == {GEO: "sha256"}

        with pytest.raises(ConfigError) as err:
            fetch(dest, server.url, only=[PRED])
        assert "predictions=True" in _assert_one_line(err)

        events: list[FetchEvent] = []
        result = fetch(dest, server.url, only=[GEO, PRED, inputs], predictions=True, progress=events.append)
        assert result.skipped == [GEO] and sorted(result.downloaded) == sorted([PRED, inputs])
        assert result.status(PRED) == "downloaded, verified (git blob)"
        assert result.status(GEO) == "skipped (already present), verified (sha256)"
        assert "each verified (1 by sha256 and 2 by git blob)" in result.summary()
        assert {e.path for e in events if e.kind == "done" and e.verified} == {PRED, inputs}
        assert (dest / PRED).read_bytes() == (shared_data / PRED).read_bytes()
        assert git_blob_id(dest / PRED) == next(f.git_blob for f in manifest.files if f.path == PRED)

        (dest / PRED).write_bytes((dest / PRED).read_bytes() + b"\n")  # edited after the fetch: fetched again
        again = fetch(dest, server.url, only=[PRED], predictions=True)
        assert again.replaced == [PRED] and again.downloaded == [PRED]
        assert fetch(dest, server.url, only=[PRED], predictions=True).skipped == [PRED]
    finally:
        server.close()


def test_a_tampered_prediction_file_is_rejected_by_its_git_blob_id(shared_data, manifest, tmp_path):
    served = _copy(shared_data, tmp_path / "served", [PRED]) / PRED
    text = served.read_bytes()
    served.write_bytes(text.replace(b'"A"', b'"B"', 1))  # one gold label changed, same size
    assert len(served.read_bytes()) == len(text) and served.read_bytes() != text
    server = Server(served.parents[2])
    dest = tmp_path / "data"
    try:
        with pytest.raises(DataError) as err:
            fetch(dest, server.url, only=[PRED], predictions=True)
    finally:
        server.close()
    message = _assert_one_line(err)
    expected = next(f.git_blob for f in manifest.files if f.path == PRED)
    assert message.startswith(f"{PRED}: git blob mismatch: expected {expected}, got {git_blob_id(served)}")
    assert "nothing was written" in message
    assert _files_under(dest) == {ERRORS_NAME}  # neither the file nor a staging leftover
    assert [(r["path"], r["check"], r["expected"], r["got"]) for r in _error_rows(dest)] == [
        (PRED, "git blob", expected, git_blob_id(served))]


def test_a_broken_connection_keeps_nothing_even_without_a_hash(shared_data, manifest, tmp_path):
    pred = PRED
    server = Server(_copy(shared_data, tmp_path / "served", [pred]))
    server.httpd.truncate.add(pred)  # type: ignore[attr-defined]
    dest = tmp_path / "data"
    try:
        with pytest.raises(DataError) as err:
            fetch(dest, server.url, only=[pred], predictions=True)
    finally:
        server.close()
    text = _assert_one_line(err)
    assert text.startswith(server.url + pred) and "connection broken" in text
    assert _files_under(dest) == {ERRORS_NAME}


def test_complete_fetch_marker_and_find_data_dir(geo_server, manifest, tmp_path, monkeypatch):
    small = dataclasses.replace(manifest, files=tuple(f for f in manifest.files if f.path.startswith("x_geo/")))
    dest = tmp_path / "data"
    monkeypatch.setenv("CLIKA_DATA_DIR", str(dest))
    result = fetch(base_url=geo_server.url, manifest=small)  # default dest: paths.data_dir()
    assert result.dest == dest and result.complete and result.marker == dest / MARKER_NAME
    assert find_data_dir(manifest=small) == dest
    assert find_data_dir(dest) is None  # the shipped manifest wants x_csqa, x_copa, ... too

    (dest / GEO).write_text("")  # damaged after the fetch: no longer a complete fetch
    assert find_data_dir(dest, manifest=small) is None
    assert fetch(dest, geo_server.url, manifest=small).replaced == [GEO]
    assert find_data_dir(dest, manifest=small) == dest

    other = dataclasses.replace(small, commit="0" * 40)
    assert find_data_dir(dest, manifest=other) is None


def test_bad_destination_and_filters_are_config_errors(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError):
        fetch(blocker, "http://127.0.0.1:9/", only=["x_geo"])
    with pytest.raises(ConfigError) as err:
        fetch(tmp_path / "d", "http://127.0.0.1:9/", only=["x_geo_typo"])
    assert "x_geo_typo" in _assert_one_line(err)
    with pytest.raises(ConfigError):
        fetch(tmp_path / "d", "file:///tmp/x", only=["x_geo"])


def test_an_interrupted_fetch_leaves_nothing_half_written(geo_server, manifest, tmp_path):
    dest = tmp_path / "data"
    stale = dest / STAGING_NAME / "x_geo" / "en" / "tmpk1ll3d00"  # left by a killed fetch
    stale.parent.mkdir(parents=True)
    stale.write_text("partial")

    def interrupt(event: FetchEvent) -> None:
        if event.kind == "progress" and event.index == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch(dest, geo_server.url, only=["x_geo"], progress=interrupt)
    assert len(_files_under(dest)) == 2 and not (dest / STAGING_NAME).exists()
    for rel in _files_under(dest):
        assert _sha256(dest / rel) == next(f.sha256 for f in manifest.files if f.path == rel)
    assert len(fetch(dest, geo_server.url, only=["x_geo"]).downloaded) == 8


def test_cli_fetch_dest_is_remembered_by_run_and_data_show(full_server, tmp_path):
    """`clika data fetch --url http://127.0.0.1:PORT/ --dest DIR`, then `clika run --tasks x_geo` and
    `clika data show` with no --data-dir and no $CLIKA_DATA_DIR read the fetched data: the location is
    remembered under $CLIKA_CACHE (`clika conduct --data upstream` asks the same find_data_dir)."""

    sys.path.insert(0, str(REPO_ROOT / "tests" / "backends"))
    from tiny_model import build_tiny_model

    clika = Path(sys.executable).parent / "clika"
    dest = tmp_path / "data"
    env = {**os.environ, "CLIKA_CACHE": str(tmp_path / "cache"), "NO_PROXY": "127.0.0.1,localhost"}
    for name in ("CLIKA_DATA_DIR", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(name, None)

    def clika_run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
        return subprocess.run([str(clika), *args], capture_output=True, text=True, env=env, timeout=timeout,
                              cwd=tmp_path)

    missing = clika_run("run", "--tasks", "x_geo")
    assert missing.returncode == 1 and "run `clika data fetch`" in missing.stderr  # the hint says what to do
    assert f"{tmp_path / 'cache' / 'data'} (the default)" in missing.stderr
    fetched = clika_run("data", "fetch", "--url", full_server.url, "--dest", str(dest))
    assert fetched.returncode == 0, fetched.stderr
    assert "fetching 70 files" in fetched.stderr and "70 downloaded" in fetched.stderr
    said = " ".join(fetched.stderr.split())  # rich may wrap the long line
    assert f"the CLiKA data is ready in {dest}" in said
    assert f"find it there (remembered in {tmp_path / 'cache' / 'data-location.json'}" in said

    tiny = build_tiny_model(tmp_path / "tiny")
    run = clika_run("run", "--model-args", f"pretrained={tiny}", "--tasks", "x_geo", "--langs", "en,de",
                    "--limit", "3", "--n-boot", "10", "-o", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr
    rows = [json.loads(x) for x in (tmp_path / "out" / "predictions.jsonl").read_text().splitlines()]
    assert {(r["task"], r["lang"]) for r in rows} == {("x_geo", "en"), ("x_geo", "de")} and len(rows) == 6
    shown = clika_run("data", "show", "-t", "x_geo", timeout=120)
    assert shown.returncode == 0 and "2000 items" in shown.stdout, shown.stderr

    elsewhere = {**env, "CLIKA_DATA_DIR": str(tmp_path / "empty")}  # the environment still wins
    overridden = subprocess.run([str(clika), "data", "show", "-t", "x_geo"], capture_output=True, text=True,
                                env=elsewhere, timeout=120)
    assert overridden.returncode == 1 and f"{tmp_path / 'empty'} ($CLIKA_DATA_DIR)" in overridden.stderr
