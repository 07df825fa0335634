"""The SQLite results store: transactional, idempotent, reopenable, and clear when it cannot work."""

from __future__ import annotations

import dataclasses
import math
import os
import sqlite3
import tempfile
from pathlib import Path

import pytest

from clika.errors import ClikaError
from clika.predictions import Prediction
from clika.store import ResultsStore, StoreError, scrub_secrets

FP = "hf:tiny@abc123"
RH = "request-hash-1"  # the request hash every prediction below was asked with, unless told otherwise


def preds(lang: str, ids: range, model: str = "tiny") -> list[Prediction]:
    return [
        Prediction(model, "mini_basic", lang, f"basic-{i:02d}", choice=(None if i % 5 == 0 else i % 4),
                   gold=i % 4, n_options=4, scores=(-1.5, -0.25, -math.inf, -3.0), extra={"i": i})
        for i in ids
    ]


def item_hash(p: Prediction) -> str:
    return f"item-{p.lang}-{p.item_id}-gold{p.gold}"


def keys(ps: list[Prediction], request: str = RH) -> list[tuple[str, str]]:
    """The (item_hash, request_hash) store key of each prediction."""
    return [(item_hash(p), request) for p in ps]


def full_keys(ps: list[Prediction], request: str = RH) -> set[tuple[str, str, str]]:
    return {(p.item_id, item_hash(p), request) for p in ps}


def test_round_trip_and_reopen(tmp_path: Path):
    path = tmp_path / "sub" / "results.sqlite"
    written = preds("en", range(1, 7))
    with ResultsStore(path) as store:
        assert store.add_predictions(FP, "letter", "-", written, keys(written)) == 6
    with ResultsStore(path) as store:  # a fresh connection sees exactly what was written
        got = store.predictions(FP, mode="letter", task="mini_basic", lang="en")
        assert got == written
        assert got[4].choice is None and got[0].scores[2] == -math.inf and got[2].extra == {"i": 3}
        assert store.done_keys(FP, "mini_basic", "en", "letter", "-") == full_keys(written)
        # another mode, extraction rule or model is a different key: nothing done there
        assert store.done_keys(FP, "mini_basic", "en", "cloze", "-") == set()
        assert store.done_keys(FP, "mini_basic", "en", "letter", "smart") == set()
        assert store.done_keys("other", "mini_basic", "en", "letter", "-") == set()
        assert store.done_keys(FP, "mini_basic", "zh", "letter", "-") == set()
        # another prompt (request hash) or edited item content (item hash) is not done
        done = store.done_keys(FP, "mini_basic", "en", "letter", "-")
        assert not full_keys(written, "request-hash-2") & done
        assert (written[0].item_id, "item-edited", RH) not in done
        # predictions_for returns exactly the asked keys that are stored, keyed by them
        asked = full_keys(written[:2]) | {(written[2].item_id, "item-edited", RH)}
        found = store.predictions_for(FP, "mini_basic", "en", "letter", "-", asked)
        assert found == {(p.item_id, item_hash(p), RH): p for p in written[:2]}
    with ResultsStore(path, readonly=True) as ro:
        assert ro.count(FP) == 6
        zh = preds("zh", range(1, 2))
        with pytest.raises(StoreError, match="read-only"):
            ro.add_predictions(FP, "letter", "-", zh, keys(zh))


def test_rows_are_content_keyed(tmp_path: Path):
    """The same item id asked again with edited content or another prompt is a new row; the old stays."""
    with ResultsStore(tmp_path / "r.sqlite") as store:
        first = preds("en", range(1, 3))
        store.add_predictions(FP, "letter", "-", first, keys(first))
        regold = [dataclasses.replace(p, gold=(p.gold + 1) % 4) for p in first[:1]]
        assert store.add_predictions(FP, "letter", "-", regold, keys(regold)) == 1
        reprompt = first[1:]
        assert store.add_predictions(FP, "letter", "-", reprompt, keys(reprompt, "request-hash-2")) == 1
        assert store.count(FP) == 4
        done = store.done_keys(FP, "mini_basic", "en", "letter", "-")
        assert done == full_keys(first) | full_keys(regold) | full_keys(reprompt, "request-hash-2")
        (new,) = store.predictions_for(FP, "mini_basic", "en", "letter", "-", full_keys(regold)).values()
        assert new.gold == regold[0].gold != first[0].gold


def test_keys_must_match_predictions(tmp_path: Path):
    with ResultsStore(tmp_path / "r.sqlite") as store:
        two = preds("en", range(1, 3))
        with pytest.raises(StoreError, match="2 predictions but 1 keys"):
            store.add_predictions(FP, "letter", "-", two, keys(two[:1]))
        assert store.count() == 0


def test_writes_are_idempotent(tmp_path: Path):
    with ResultsStore(tmp_path / "r.sqlite") as store:
        first = preds("en", range(1, 5))
        assert store.add_predictions(FP, "letter", "-", first, keys(first)) == 4
        # a rerun that overlaps: the 3 existing rows stay as they were, 2 are new
        changed = [dataclasses.replace(p, choice=3) for p in preds("en", range(2, 7))]
        assert store.add_predictions(FP, "letter", "-", changed, keys(changed)) == 2
        got = store.predictions(FP, mode="letter")
        assert [p.item_id for p in got] == [f"basic-{i:02d}" for i in range(1, 7)]
        assert [p.choice for p in got[:4]] == [p.choice for p in first]  # first answers kept
        assert [p.choice for p in got[4:]] == [3, 3]
        assert store.add_predictions(FP, "letter", "-", [], []) == 0
        assert store.count() == 6


def test_a_failed_chunk_leaves_nothing_and_the_store_readable(tmp_path: Path):
    path = tmp_path / "r.sqlite"
    store = ResultsStore(path)
    en = preds("en", range(1, 4))
    store.add_predictions(FP, "letter", "-", en, keys(en))
    # A chunk with one bad row (gold NULL violates NOT NULL) must not leave its good rows.
    bad = preds("zh", range(1, 4)) + [Prediction("tiny", "mini_basic", "zh", "basic-99", 0, None, 4)]  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        store.add_predictions(FP, "letter", "-", bad, keys(bad))
    assert store.predictions(FP, lang="zh") == []
    assert store.count() == 3
    store.close()


def test_full_disk_is_a_clear_error_and_nothing_is_lost(tmp_path: Path):
    path = tmp_path / "r.sqlite"
    store = ResultsStore(path)
    en = preds("en", range(1, 4))
    store.add_predictions(FP, "letter", "-", en, keys(en))
    # SQLite reports SQLITE_FULL exactly as for a full disk once the page limit is reached.
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")
    big = [Prediction("tiny", "mini_basic", "de", f"x{i}", 0, 0, 4, raw="y" * 2000) for i in range(200)]
    with pytest.raises(StoreError, match="disk full") as info:
        store.add_predictions(FP, "letter", "-", big, keys(big))
    assert "\n" not in str(info.value) and str(path) in str(info.value)
    assert store.count() == 3 and store.predictions(FP, lang="de") == []
    store.close()
    with ResultsStore(path) as again:
        assert again.count() == 3


def test_corrupt_file_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "results.sqlite"
    path.write_bytes(b"this is not sqlite, just some text that happens to be here " * 200)
    with pytest.raises(StoreError, match="corrupt") as info:
        ResultsStore(path)
    assert isinstance(info.value, ClikaError) and str(path) in str(info.value)


def _store_with_schema(path: Path, version: str) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (version,))
    conn.close()
    return path


def test_another_sqlite_file_is_refused(tmp_path: Path):
    path = _store_with_schema(tmp_path / "other.sqlite", "99")
    with pytest.raises(StoreError, match="schema 99"):
        ResultsStore(path)


def test_a_schema_1_store_is_refused_with_the_reason(tmp_path: Path):
    """Schema 1 rows were keyed on a prompt hash, not on item content: they cannot be matched safely."""
    path = _store_with_schema(tmp_path / "old.sqlite", "1")
    with pytest.raises(StoreError, match="schema 1, this clika reads 2: its rows are not keyed on item content"):
        ResultsStore(path)


def _open_store_as_another_user(path: Path) -> str:
    """Open a store in a forked child that runs as user nobody; returns what it reported.
    (Root ignores permission bits; a child that has dropped root does not.)"""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        code = 1
        try:
            os.close(read_fd)
            os.setgid(65534)
            os.setuid(65534)
            try:
                ResultsStore(path)
                message = "opened"
            except StoreError as err:
                message, code = f"StoreError: {err}", 3
            os.write(write_fd, message.encode())
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as fh:
        message = fh.read().decode()
    os.waitpid(pid, 0)
    return message


def test_read_only_folder_is_a_clear_error():
    folder = Path(tempfile.mkdtemp(prefix="clika-ro-"))
    try:
        folder.chmod(0o555)
        target = folder / "runs" / "results.sqlite"
        if os.geteuid() == 0:
            message = _open_store_as_another_user(target)
        else:
            with pytest.raises(StoreError) as info:
                ResultsStore(target)
            message = f"StoreError: {info.value}"
        assert message.startswith("StoreError: ") and "cannot create the store's folder" in message
        assert str(target) in message and "\n" not in message
    finally:
        folder.chmod(0o755)
        os.rmdir(folder)


def test_read_only_existing_store_refuses_writes_but_reads(tmp_path: Path):
    path = tmp_path / "r.sqlite"
    with ResultsStore(path) as store:
        en = preds("en", range(1, 3))
        store.add_predictions(FP, "letter", "-", en, keys(en))
    with ResultsStore(path, readonly=True) as ro:
        assert len(ro.predictions(FP)) == 2
        with pytest.raises(StoreError, match="read-only"):
            ro.start_run("m", FP, {})


def test_runs_table_never_holds_secrets(tmp_path: Path):
    with ResultsStore(tmp_path / "r.sqlite") as store:
        run_id = store.start_run("gpt", "openai:gpt@host", {
            "model": "openai", "model_args": {"model": "gpt", "api_key": "sk-SECRET-123", "base_url": "http://h"},
            "headers": [{"Authorization": "Bearer sk-SECRET-123"}],
        })
        store.finish_run(run_id)
        (run,) = store.runs()
        assert run["args"]["model_args"] == {"model": "gpt", "api_key": "***", "base_url": "http://h"}
        assert run["finished_at"] >= run["started_at"]
    assert b"sk-SECRET-123" not in (tmp_path / "r.sqlite").read_bytes()
    assert scrub_secrets({"token": "", "x": {"password": "p"}}) == {"token": "", "x": {"password": "***"}}
