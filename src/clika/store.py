"""The SQLite results store: every prediction a run has made, so runs resume.

One row per (model_fingerprint, task, lang, item_id, item_hash, request_hash, mode, extract): content-keyed. item_hash
covers the item's question, options, gold, language and meta (clika.items.content_hash); request_hash the exact rendered
prompt and what is scored after it (clika.prompts.request_hash); extract the answer-extraction rule of generate mode
("-" for the scoring modes, which need none); the fingerprint every model setting that changes answers. Edit one item
and only that item is scored again; the same model, asked the same prompt in the same way, never scores an item twice.
Writes go in one transaction per chunk, and a row that already exists is left alone, so a run killed at any moment (kill
-9 included) leaves only whole chunks behind and rerunning the same command picks up where it stopped.

Only the driver process writes; workers (local or Ray) return predictions.
Nothing secret is stored: run arguments are scrubbed of keys/tokens/passwords.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clika.errors import ClikaError
from clika.predictions import Prediction

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS predictions (
    model_fingerprint TEXT NOT NULL,
    task TEXT NOT NULL,
    lang TEXT NOT NULL,
    item_id TEXT NOT NULL,
    item_hash TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    mode TEXT NOT NULL,
    extract TEXT NOT NULL,
    model TEXT NOT NULL,
    choice INTEGER,
    gold INTEGER NOT NULL,
    n_options INTEGER NOT NULL,
    raw TEXT,
    scores TEXT,
    extra TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (model_fingerprint, task, lang, mode, extract, item_id, item_hash, request_hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    model_fingerprint TEXT NOT NULL,
    args TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT
);
"""
_PREDICTION = "model, task, lang, item_id, choice, gold, n_options, raw, scores, extra FROM predictions"
_UNIT = " WHERE model_fingerprint=? AND task=? AND lang=? AND mode=? AND extract=?"
_RUN = ("run_id", "model", "model_fingerprint", "args", "started_at", "finished_at")

# Argument names whose values must never reach the disk.
_SECRET_NAME = re.compile(r"key|token|secret|password|passwd|auth|credential", re.IGNORECASE)


class StoreError(ClikaError):
    """The results store cannot be opened, read or written."""


def scrub_secrets(value: Any) -> Any:
    """A copy of ``value`` with every secret-looking field replaced by "***"."""
    if isinstance(value, dict):
        return {k: ("***" if _SECRET_NAME.search(str(k)) and v not in (None, "") else scrub_secrets(v))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_secrets(v) for v in value]
    return value


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _explain(err: sqlite3.Error) -> str:
    """sqlite3's messages, turned into what a user can act on."""
    text = str(err)
    low = text.lower()
    if "not a database" in low or "malformed" in low:
        return f"not a clika results store or corrupt ({text}); move it away or pass another --store"
    if "disk is full" in low:
        return f"disk full ({text}); free some space and rerun: finished chunks are kept"
    if any(word in low for word in ("readonly", "read-only", "unable to open", "disk i/o")):
        return f"cannot write here ({text}); check the folder is writable or pass another --store"
    if "locked" in low or "busy" in low:
        return f"the store is locked by another process ({text}); wait for it or pass another --store"
    return text


class ResultsStore:
    """Predictions and runs in one SQLite file (WAL mode, so readers never block the writer)."""

    def __init__(self, path: str | Path, *, readonly: bool = False, busy_timeout_s: float = 30.0):
        self.path = Path(path)
        self.readonly = readonly
        try:
            if readonly and not self.path.is_file():
                raise StoreError("no results store here", self.path)
            if not readonly:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            target = f"file:{self.path.resolve()}?mode=ro" if readonly else self.path
            self._conn = sqlite3.connect(target, uri=readonly, timeout=busy_timeout_s, isolation_level=None)
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            if not readonly:
                self._conn.execute("PRAGMA journal_mode = WAL")
                # NORMAL in WAL mode: a committed chunk survives a killed process
                # (only a power loss may drop the very last commits).
                self._conn.execute("PRAGMA synchronous = NORMAL")
                self._conn.executescript(_SCHEMA)
                self._conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            found = self._query("SELECT value FROM meta WHERE key = 'schema_version'")
        except OSError as err:
            raise StoreError(f"cannot create the store's folder ({err.strerror})", self.path) from None
        except sqlite3.Error as err:
            raise StoreError(_explain(err), self.path) from None
        if not found or int(found[0][0]) != SCHEMA_VERSION:
            version = found[0][0] if found else None
            why = ": its rows are not keyed on item content, so they cannot be matched safely" if version == "1" else ""
            why += "; move it away or pass another --store"
            raise StoreError(f"results store schema {version}, this clika reads {SCHEMA_VERSION}{why}", self.path)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as err:
            raise StoreError(_explain(err), self.path) from None

    def _write(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """Run ``sql`` for every row in one transaction; all rows or none (the connection rolls back on errors)."""
        if self.readonly:
            raise StoreError("opened read-only", self.path)
        try:
            with self._conn as conn:
                conn.execute("BEGIN IMMEDIATE")
                return conn.executemany(sql, rows).rowcount
        except sqlite3.Error as err:
            raise StoreError(_explain(err), self.path) from None

    def add_predictions(self, fingerprint: str, mode: str, extract: str, preds: Sequence[Prediction],
                        keys: Sequence[tuple[str, str]]) -> int:
        """Store one chunk atomically; ``keys`` are each prediction's (item_hash, request_hash).
        Returns how many rows were new (existing ones stay)."""
        if len(keys) != len(preds):
            raise StoreError(f"{len(preds)} predictions but {len(keys)} keys in one chunk", self.path)
        created = _now()
        rows = []
        for p, (item_hash, request_hash) in zip(preds, keys):
            scores = None if p.scores is None else json.dumps(list(p.scores))
            extra = json.dumps(scrub_secrets(p.extra), ensure_ascii=False) if p.extra else None
            key = (fingerprint, p.task, p.lang, p.item_id, item_hash, request_hash, mode, extract)
            rows.append((*key, p.model, p.choice, p.gold, p.n_options, p.raw, scores, extra, created))
        sql = "INSERT INTO predictions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING"
        return self._write(sql, rows) if rows else 0

    def done_keys(self, fingerprint: str, task: str, lang: str, mode: str, extract: str) -> set[tuple[str, str, str]]:
        """(item_id, item_hash, request_hash) of every stored prediction of this unit."""
        sql = "SELECT item_id, item_hash, request_hash FROM predictions" + _UNIT
        return {tuple(r) for r in self._query(sql, (fingerprint, task, lang, mode, extract))}

    def predictions_for(self, fingerprint: str, task: str, lang: str, mode: str, extract: str,
                        keys: set[tuple[str, str, str]]) -> dict[tuple[str, str, str], Prediction]:
        """The stored predictions whose (item_id, item_hash, request_hash) is in ``keys``."""
        sql = f"SELECT item_id, item_hash, request_hash, {_PREDICTION}{_UNIT}"
        rows = self._query(sql, (fingerprint, task, lang, mode, extract))
        return {tuple(r[:3]): self._prediction(r[3:]) for r in rows if tuple(r[:3]) in keys}

    def predictions(self, fingerprint: str, *, mode: str | None = None, task: str | None = None,
                    lang: str | None = None) -> list[Prediction]:
        """Stored predictions of one model fingerprint, ordered by task, lang, item_id."""
        where, params = ["model_fingerprint = ?"], [fingerprint]
        for column, value in (("mode", mode), ("task", task), ("lang", lang)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        rows = self._query(f"SELECT {_PREDICTION} WHERE {' AND '.join(where)} ORDER BY task, lang, item_id", params)
        return [self._prediction(r) for r in rows]

    def count(self, fingerprint: str | None = None) -> int:
        where, params = ("", ()) if fingerprint is None else (" WHERE model_fingerprint=?", (fingerprint,))
        return self._query("SELECT count(*) FROM predictions" + where, params)[0][0]

    def fingerprints(self) -> list[tuple[str, str]]:
        """(model name, fingerprint) of every model with stored predictions."""
        return self._query("SELECT DISTINCT model, model_fingerprint FROM predictions ORDER BY model")

    def start_run(self, model: str, fingerprint: str, args: dict[str, Any]) -> str:
        run_id = uuid.uuid4().hex
        args_json = json.dumps(scrub_secrets(args), ensure_ascii=False, sort_keys=True, default=str)
        self._write("INSERT INTO runs VALUES (?,?,?,?,?,NULL)", [(run_id, model, fingerprint, args_json, _now())])
        return run_id

    def finish_run(self, run_id: str) -> None:
        self._write("UPDATE runs SET finished_at = ? WHERE run_id = ?", [(_now(), run_id)])

    def runs(self) -> list[dict[str, Any]]:
        rows = self._query(f"SELECT {', '.join(_RUN)} FROM runs ORDER BY started_at")
        return [dict(zip(_RUN, r), args=json.loads(r[3])) for r in rows]

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _prediction(self, row: tuple) -> Prediction:
        model, task, lang, item_id, choice, gold, n_options, raw, scores, extra = row
        try:
            score_tuple = None if scores is None else tuple(float(s) for s in json.loads(scores))
            extra_dict = json.loads(extra) if extra else {}
        except (ValueError, TypeError):
            raise StoreError(f"corrupt row for {task}/{lang}/{item_id}", self.path) from None
        return Prediction(model, task, lang, item_id, choice, gold, n_options, raw, score_tuple, extra_dict)
