"""Every input format clika reads, as (record generator with oracle, where the file goes, how it is loaded).

A record generator draws one valid record together with the object a correct
loader must produce from it (an Item, a Prediction, a Record). The
``rules`` say which JSON types each required field accepts, so fuzzing.mutate
can make a record that is definitely invalid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from clika.items import LANGS, LETTERS, Item
from clika.metrics.flags import flags_from_note
from clika.metrics.records import Record
from clika.predictions import Prediction
from clika.tasks import builtin_registry
from tests.robustness.fuzzing import TEXT, with_extra_fields

MODEL = "fuzz-model"


@dataclass(frozen=True)
class Format:
    """One input format: how to draw records, where the file lives, how clika loads it."""

    name: str
    record: Callable[[Any, int], tuple[dict[str, Any], Any]]  # (draw, line index) -> (record, expected)
    rules: dict[str, tuple[str, ...]]
    relpath: str  # the file, relative to a fresh root folder
    load: Callable[[Path], list[Any]]  # root folder -> loaded objects
    optional: frozenset[str] = frozenset()  # fields in rules that may be left out


def _ident(draw: Any, index: int) -> str | int:
    """A unique id per line (uniqueness is a separate property), as a string or an integer."""
    return draw(st.sampled_from([index, f"id-{index}", f"{index}/ü"]))


# -- the project's item JSONL --------------------------------------------------------

def item_record(draw: Any, index: int) -> tuple[dict[str, Any], Item]:
    task = draw(st.sampled_from(["x_geo", "x_copa", "my_task"]))
    lang = draw(st.sampled_from(LANGS))
    options = draw(st.lists(TEXT, min_size=2, max_size=5))
    answer = draw(st.integers(0, len(options) - 1))
    item_id, question = _ident(draw, index), draw(TEXT)
    rec: dict[str, Any] = {"task": task, "lang": lang, "id": item_id, "question": question,
                           "options": options, "answer": answer}
    meta = draw(st.sampled_from([None, {}, {"original_lang": "ar"}]))
    if meta is not None:
        rec["meta"] = meta
    spec = builtin_registry().get(task)
    stream = spec.stream if spec is not None else "basic"
    expected = Item(task, stream, lang, str(item_id), question, tuple(options), answer, dict(meta or {}))
    return with_extra_fields(draw, rec), expected


def _load_item_jsonl(root: Path) -> list[Any]:
    from clika.data import load_items

    return load_items(root / "items.jsonl")


ITEM_JSONL = Format("item-jsonl", item_record,
                    {"task": ("string",), "lang": ("string",), "id": ("string", "int"), "question": ("string",),
                     "options": ("list",), "answer": ("int",)},
                    "items.jsonl", _load_item_jsonl)


# -- the upstream layout --------------------------------------------------------------

def geo_record(draw: Any, index: int) -> tuple[dict[str, Any], Item]:
    options = draw(st.lists(TEXT, min_size=4, max_size=4))
    label, question, culture = draw(st.integers(0, 3)), draw(TEXT), draw(st.sampled_from(LANGS))
    item_id = _ident(draw, index)
    rec = {"id": item_id, "questions": question, "answers": options, "label": label, "original_lang": culture}
    expected = Item("x_geo", "factual", "de", str(item_id), question, tuple(options), label, {"original_lang": culture})
    return with_extra_fields(draw, rec), expected


def copa_record(draw: Any, index: int) -> tuple[dict[str, Any], Item]:
    premise, c1, c2 = draw(TEXT), draw(TEXT), draw(TEXT)
    kind, label, item_id = draw(st.sampled_from(["cause", "effect"])), draw(st.integers(0, 1)), _ident(draw, index)
    rec = {"id": item_id, "premise": premise, "choice1": c1, "choice2": c2, "question": kind, "label": label}
    expected = Item("x_copa", "basic", "zh", str(item_id), premise, (c1, c2), label, {"copa_question": kind})
    return with_extra_fields(draw, rec), expected


def csqa_record(draw: Any, index: int) -> tuple[dict[str, Any], Item]:
    texts = draw(st.lists(TEXT, min_size=5, max_size=5))
    # Upstream labels are A-E, but a file may list them in another order: option i must become letter i.
    labels = draw(st.permutations(list(LETTERS[:5])))
    key, stem, item_id = draw(st.sampled_from(labels)), draw(TEXT), f"q{index}"
    rec = {"id": item_id, "question": {"stem": stem, "choices": {"label": labels, "text": texts}}, "answerKey": key}
    by_letter = dict(zip(labels, texts))
    ordered = tuple(by_letter[c] for c in LETTERS[:5])
    # The csqa ZH_trans folder's own lang field says "en": the folder (ja here) wins.
    if draw(st.booleans()):
        rec["lang"] = "en"
    expected = Item("x_csqa", "basic", "ja", item_id, stem, ordered, LETTERS.index(key), {})
    return with_extra_fields(draw, rec), expected


def _upstream_loader(task: str) -> Callable[[Path], list[Any]]:
    def load(root: Path) -> list[Any]:
        from clika.data import load_items

        return load_items(root, tasks=[task])

    return load


UPSTREAM_GEO = Format("upstream-x_geo", geo_record,
                      {"id": ("string", "int"), "questions": ("string",), "answers": ("list",), "label": ("int",),
                       "original_lang": ("string",)},
                      "x_geo/DE/de_geo_data.jsonl", _upstream_loader("x_geo"))
UPSTREAM_COPA = Format("upstream-x_copa", copa_record,
                       {"id": ("string", "int"), "premise": ("string",), "choice1": ("string",),
                        "choice2": ("string",), "label": ("int",), "question": ("string",)},
                       "x_copa/zh/test.jsonl", _upstream_loader("x_copa"))
UPSTREAM_CSQA = Format("upstream-x_csqa", csqa_record,
                       {"id": ("string", "int"), "question": ("object",), "answerKey": ("string",)},
                       "x_csqa/JA_trans/validation.jsonl", _upstream_loader("x_csqa"))


# -- predictions: upstream *_res_*.jsonl, lm-eval samples, clika predictions.jsonl ------

def upstream_pred_record(draw: Any, index: int) -> tuple[dict[str, Any], Prediction]:
    res = draw(st.one_of(st.none(), TEXT, st.sampled_from(["A", " B. because", "D", "E", "b", "\nC", ""])))
    gold = draw(st.integers(0, 3))
    uuid = _ident(draw, index)
    rec = {"id": index, "res": res, "label": LETTERS[gold], "uuid": uuid}
    first = res.strip()[:1] if isinstance(res, str) else None
    choice = LETTERS.index(first) if first and first in LETTERS[:4] else None
    return with_extra_fields(draw, rec), Prediction(MODEL, "x_name", "fr", str(uuid), choice, gold, 4, res)


def _load_upstream_preds(root: Path) -> list[Any]:
    """In an upstream tree a broken prediction file is skipped with its reason and first bad line
    (its model is then partial), not raised: the skip, with the file and line it names, is turned
    into the error the fuzz checks expect."""
    from clika.data.predictions_io import read_predictions
    from clika.errors import DataError

    read = read_predictions(root, "clika-repo")
    for f in read.files:
        if f.status == "skipped":
            raise DataError(f"skipped ({f.reason}): {f.detail}", root / f.path, f.line)
    return read.predictions


def lmeval_record(draw: Any, index: int) -> tuple[dict[str, Any], Prediction]:
    lls = draw(st.lists(st.integers(-400, 0), min_size=4, max_size=4))
    gold = draw(st.integers(0, 3))
    target = draw(st.sampled_from([str(gold), LETTERS[gold]]))
    conts = [f" opt{i}" for i in range(4)]
    rec = {"doc_id": index, "doc": {"id": f"d{index}"}, "target": target,
           "arguments": {f"gen_args_{i}": {"arg_0": "ctx", "arg_1": c} for i, c in enumerate(conts)},
           "resps": [[[str(v / 8), "False"]] for v in lls],
           "filtered_resps": [[str(v / 8), "False"] for v in lls], "filter": "none", "acc": 0.0}
    choice = lls.index(max(lls))  # lm-eval's acc: the first of the highest log-likelihoods
    expected = Prediction(MODEL, "x_geo", "en", f"d{index}", choice, gold, 4, None, tuple(v / 8 for v in lls))
    return with_extra_fields(draw, rec), expected


def _load_lmeval(root: Path) -> list[Any]:
    from clika.data.predictions_io import read_predictions

    return read_predictions(root, "lm-eval").predictions


def clika_pred_record(draw: Any, index: int) -> tuple[dict[str, Any], Prediction]:
    n = draw(st.integers(2, 5))
    gold = draw(st.integers(0, n - 1))
    choice = draw(st.one_of(st.none(), st.integers(0, n - 1)))
    lang, item_id = draw(st.sampled_from(LANGS)), _ident(draw, index)
    rec: dict[str, Any] = {"model": MODEL, "task": "x_csqa", "lang": lang, "item_id": item_id,
                           "prediction": choice, "gold": gold, "n_options": n}
    if draw(st.booleans()):
        rec["correct"] = choice is not None and choice == gold
    raw = draw(st.one_of(st.none(), TEXT))
    if raw is not None:
        rec["raw"] = raw
    return with_extra_fields(draw, rec), Prediction(MODEL, "x_csqa", lang, str(item_id), choice, gold, n, raw)


def _load_clika_preds(root: Path) -> list[Any]:
    from clika.data.predictions_io import read_predictions

    return read_predictions(root / "run" / "predictions.jsonl", "clika").predictions


PRED_UPSTREAM = Format("predictions-clika-repo", upstream_pred_record,
                       {"res": ("string", "null"), "label": ("string",), "uuid": ("string", "int")},
                       f"x_name/FR/{MODEL}_res_bf16_add_simple_example.jsonl", _load_upstream_preds)
PRED_LMEVAL = Format("predictions-lm-eval", lmeval_record,
                     {"target": (), "arguments": ("object",), "filtered_resps": ("list",)},
                     f"{MODEL}/samples_x_geo_en_2024-05-01T10-00-00.000001.jsonl", _load_lmeval)
PRED_CLIKA = Format("predictions-clika", clika_pred_record,
                    {"model": ("string",), "task": ("string",), "lang": ("string",), "item_id": ("string", "int"),
                     "prediction": ("int", "null"), "gold": ("int",), "n_options": ("int",)},
                    "run/predictions.jsonl", _load_clika_preds)


# -- metric records read by `clika report` ----------------------------------------------

def metric_record(draw: Any, index: int) -> tuple[dict[str, Any], Record]:
    """A record of the layout before lang_ref / aggregate / flags: read through the migration."""
    value = draw(st.one_of(st.none(), st.floats(-2, 2, allow_nan=False), st.integers(0, 3)))
    lo = None if value is None else value - 0.25
    n, metric = draw(st.integers(0, 1000)), draw(st.sampled_from(["ra", "en_co", "accuracy"]))
    rec: dict[str, Any] = {"model": MODEL, "task": "x_geo", "lang": LANGS[index % 10], "metric": metric,
                           "value": value, "ci_low": lo, "ci_high": None, "n": n}
    note = draw(st.one_of(st.none(), TEXT))
    if note is not None:
        rec["note"] = note
    expected = Record(model=MODEL, task="x_geo", metric=metric, lang=LANGS[index % 10],
                      lang_ref="en" if metric in ("ra", "en_co") else None, value=None if value is None else float(value),
                      ci_low=lo, n=n, note=note, flags=tuple(flags_from_note(rec)))
    return with_extra_fields(draw, rec), expected


def _load_metrics(root: Path) -> list[Any]:
    from clika.report.tables import load_results

    return load_results(root / "out")  # a folder holding metrics.jsonl, as `clika report DIR` reads it


METRICS = Format("metrics-jsonl", metric_record,
                 {"model": ("string",), "task": ("string",), "lang": ("string",), "metric": ("string",),
                  "value": ("int", "float", "null"), "n": ("int", "null")},
                 "out/metrics.jsonl", _load_metrics, optional=frozenset({"value", "n"}))

ALL_FORMATS = (ITEM_JSONL, UPSTREAM_GEO, UPSTREAM_COPA, UPSTREAM_CSQA, PRED_UPSTREAM, PRED_LMEVAL, PRED_CLIKA, METRICS)
