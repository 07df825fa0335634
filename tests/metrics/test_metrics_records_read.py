"""read_records: round trip with write_records, the migration of files of the old layout, and one-line
errors naming file:line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from clika.errors import DataError
from clika.metrics.record_io import read_records, write_records
from clika.metrics.records import Record

RECORDS = [
    Record(model="m", task="x_geo", metric="ra", lang="zh", lang_ref="en", value=0.8, ci_low=0.7, ci_high=0.9, n=200),
    Record(model="m", task="x_geo", metric="ra_adj", lang="zh", lang_ref="en", n=200, flags=("undefined",),
           note="accuracy in en is 0: ra undefined"),
    Record(model="m", task="x_geo", metric="co", lang="en", lang_ref="zh", value=0.5, n=198, flags=("left_out",),
           note="2 item(s) left out (missing in en or zh)"),
    Record(model="m", task="x_geo", metric="en_co", lang_ref="en", aggregate="mean", value=0.4, ci_low=0.3,
           ci_high=0.5, p_value=0.01, n=400, chance=1 / 7, note="mean over 2 non-en languages"),
]


def test_files_of_the_old_layout_are_migrated_on_read(tmp_path):
    """lang "avg" / "de-fr" / "S>L" and flags in notes (metrics.jsonl before lang_ref, aggregate and flags)."""
    old = [
        {"model": "m", "task": "x_geo", "lang": "avg", "metric": "ra", "value": 0.7, "ci_low": 0.6, "ci_high": 0.8,
         "n": 400, "note": "mean over 2 non-en languages"},
        {"model": "m", "task": "x_geo", "lang": "zh", "metric": "en_co", "value": 0.5, "n": 200,
         "note": "interval from 960 of 1000 resamples (40 undefined)"},
        {"model": "m", "task": "x_geo", "lang": "de-fr", "metric": "co", "value": 0.4, "n": 198,
         "note": "2 item(s) left out (missing in de or fr)"},
        {"model": "m", "task": "x_geo", "lang": "zh>de", "metric": "home_transfer", "value": 0.6, "n": 12},
        {"model": "m", "task": "x_geo", "lang": "de", "metric": "home_transfer", "value": 0.5, "n": 20},
        {"model": "m", "task": "x_geo", "lang": "de", "metric": "dominant_option_flag", "value": 1.0, "n": 200},
        {"model": "m", "task": "x_geo", "lang": "en", "metric": "accuracy", "value": 0.26, "ci_low": 0.2,
         "ci_high": 0.32, "n": 200, "chance": 0.25},
        {"model": "m", "task": "fictional", "lang": "de", "metric": "xrr", "value": None, "n": 24,
         "note": "not measured: the mastery gate failed (de type 0 0.50 < 0.90)"},
    ]
    path = tmp_path / "old.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in old), encoding="utf-8")
    got = [(r.lang, r.lang_ref, r.aggregate, r.flags) for r in read_records(path)]
    assert got == [(None, "en", "mean", ()), ("zh", "en", None, ("interval",)), ("de", "fr", None, ("left_out",)),
                   ("de", "zh", None, ()), ("de", None, "mean", ()), ("de", None, None, ("dominant",)),
                   ("en", None, None, ("chance",)), ("de", "en", None, ("gate_failed",))]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_round_trip(tmp_path, suffix):
    path = write_records(RECORDS, tmp_path / f"metrics{suffix}")
    assert read_records(path) == RECORDS


@pytest.mark.parametrize("line, message", [
    ('{"model": "m", "task": "t", "lang": "en", "metric": "accuracy", "value": 0.5', "invalid JSON"),
    ('{"model": "m", "task": "t", "lang": "en", "metric": "accuracy", "value": NaN}', "must be null/empty"),
    ('{"model": "m", "task": "t", "metric": "accuracy", "value": 0.5}', "field 'lang' is missing"),
    ('{"model": "m", "task": "t", "lang": "en", "metric": "accuracy", "value": "high"}', "must be a number"),
    ('[1, 2]', "expected a JSON object"),
])
def test_bad_jsonl_line_names_file_and_line(tmp_path, line, message):
    path = tmp_path / "metrics.jsonl"
    good = '{"model": "m", "task": "t", "lang": "en", "metric": "accuracy", "value": 0.5, "n": 4}'
    path.write_text(good + "\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=message) as err:
        read_records(path)
    assert str(err.value).startswith(f"{path}:3: ")
    assert "\n" not in str(err.value)


def test_bad_csv_row_names_its_line(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("model,task,lang,metric,value,ci_low,ci_high,n,note\n"
                    "m,t,en,accuracy,0.5,,,4,\n"
                    "m,t,zh,accuracy,oops,,,4,\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"metrics.csv:3: field 'value' must be a number"):
        read_records(path)


def test_csv_without_required_columns(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("model,task,value\nm,t,0.5\n", encoding="utf-8")
    with pytest.raises(DataError, match="header lacks column"):
        read_records(path)


def _line(value, lang="zh", metric="ra", **extra) -> str:
    import json

    return json.dumps({"model": "m", "task": "x_geo", "lang": lang, "metric": metric, "value": value, "n": 200,
                       **extra})


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_exact_duplicates_are_dropped(tmp_path, suffix):
    once = write_records(RECORDS, tmp_path / f"once{suffix}")
    twice = write_records(RECORDS + RECORDS[:2], tmp_path / f"twice{suffix}")
    assert read_records(twice) == read_records(once) == RECORDS


def test_conflicting_records_for_one_key_are_a_one_line_error_naming_the_line(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text("\n".join([_line(0.8), _line(0.5, lang="en", metric="accuracy"), _line(0.7)]) + "\n",
                    encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_records(path)
    text = str(err.value)
    assert text.startswith(f"{path}:3: ") and "\n" not in text
    assert "m/x_geo/ra (zh vs en)" in text and "line 1" in text and "0.8" in text and "0.7" in text


def test_same_key_in_another_stratum_is_no_conflict(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(_line(0.8) + "\n" + _line(0.7, stratum="overlap=none") + "\n", encoding="utf-8")
    assert [(r.value, r.stratum) for r in read_records(path)] == [(0.8, None), (0.7, "overlap=none")]


def _cd(value: float, **kw) -> dict:
    return {"model": "m", "task": "fictional", "metric": "xrr", "lang": "de", "lang_ref": "en", "value": value,
            "n": 40, **kw}


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_condition_packed_into_the_task_is_migrated_on_read(tmp_path, suffix):
    """Files written before ``condition``: task "fictional+names-both" reads as task "fictional",
    condition "names-both"; a condition written in its own field is kept, other tasks are untouched."""
    rows = [_cd(0.3, task="fictional+names-both"), _cd(0.4, task="fictional+names-both+gate-english"), _cd(0.5),
            _cd(0.6, condition="remap"), {"model": "m", "task": "x_geo", "metric": "accuracy", "lang": "en",
                                          "value": 0.7, "n": 100, "flags": []}]
    path = tmp_path / f"old{suffix}"
    if suffix == ".csv":
        fields = ["model", "task", "metric", "lang", "lang_ref", "value", "n", "condition"]
        path.write_text(",".join(fields) + "\n" + "".join(",".join(str(r.get(f, "")) for f in fields) + "\n"
                                                           for r in rows), encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    got = [(r.task, r.condition, r.value) for r in read_records(path)]
    assert got == [("fictional", "names-both", 0.3), ("fictional", "names-both+gate-english", 0.4),
                   ("fictional", None, 0.5), ("fictional", "remap", 0.6), ("x_geo", None, 0.7)]
    assert all(r.model_ref is None for r in read_records(path))  # no model_ref column/field: None
    again = write_records(read_records(path), tmp_path / f"new{suffix}")  # written back in today's layout
    assert read_records(again) == read_records(path)
    if suffix == ".jsonl":
        first = json.loads(again.read_text(encoding="utf-8").splitlines()[0])
        assert (first["task"], first["condition"]) == ("fictional", "names-both")
        assert "condition" not in json.loads(again.read_text(encoding="utf-8").splitlines()[2])  # None: left out


def test_two_conditions_of_one_run_never_conflict(tmp_path):
    """The condition is part of the key: the same model, target and metric under two conditions are two records."""
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (_cd(0.3), _cd(0.5, condition="names-both"),
                                                            _cd(0.4, task="fictional+gate-english"))),
                    encoding="utf-8")
    records = read_records(path)
    assert [(r.condition, r.value) for r in records] == [(None, 0.3), ("names-both", 0.5), ("gate-english", 0.4)]
    assert len({r.key for r in records}) == 3
    path.write_text(json.dumps(_cd(0.5, condition="names-both")) + "\n"
                    + json.dumps(_cd(0.6, task="fictional+names-both")) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="m/fictional\\+names-both/xrr"):  # one key once migrated
        read_records(path)


def test_resamples_written_before_condition_are_read_by_todays_keys(tmp_path):
    import numpy as np

    from clika.metrics.record_io import read_resamples, resamples_path

    old_key = ["m", "fictional+names-both", "xrr", "de", "en", None, None]
    np.savez_compressed(resamples_path(tmp_path / "metrics.jsonl"), keys=np.array([json.dumps(old_key)]),
                        samples=np.ones((1, 5), np.float32))
    record = Record(model="m", task="fictional", condition="names-both", metric="xrr", lang="de", lang_ref="en")
    assert list(read_resamples(tmp_path / "metrics.jsonl")) == [record.key]


CLIKA = str(Path(sys.executable).with_name("clika"))


def _report(source: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CLIKA, "report", str(source), "--output", str(out)], capture_output=True, text=True,
                          timeout=300)


def test_cli_report_on_conflicting_records_is_one_line_naming_the_line(tmp_path):
    """Two records for one (model, task, lang, metric) that disagree: a report never shows "the last one"."""
    path = write_records(RECORDS, tmp_path / "metrics.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    changed = json.loads(lines[0])
    changed["value"] += 0.1
    path.write_text("\n".join(lines + [json.dumps(changed)]) + "\n", encoding="utf-8")
    done = _report(path, tmp_path / "rep")
    assert done.returncode == 1
    err = done.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    first = RECORDS[0]
    assert err.startswith(f"error: {path}:{len(lines) + 1}: conflicting records for "
                          f"{first.model}/{first.task}/{first.metric} ({first.where}): line 1 says {first.value!r}, "
                          f"this line says {changed['value']!r}"), err
    assert not (tmp_path / "rep" / "report.md").exists()


def test_cli_report_drops_exact_duplicate_records(tmp_path):
    once = write_records(RECORDS, tmp_path / "once.jsonl")
    twice = tmp_path / "twice.jsonl"
    text = once.read_text(encoding="utf-8")
    twice.write_text(text + text, encoding="utf-8")
    for name, source in (("a", once), ("b", twice)):
        done = _report(source, tmp_path / name)
        assert done.returncode == 0, done.stderr
    report = (tmp_path / "b" / "report.md").read_text(encoding="utf-8")
    assert report == (tmp_path / "a" / "report.md").read_text(encoding="utf-8")
    assert f"{len(RECORDS)} records" in report


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_model_ref_round_trips_is_part_of_the_key_and_is_null_in_older_files(tmp_path, suffix):
    diff = [Record(model="b", model_ref="a", task="x_geo", metric="accuracy", lang="de", value=0.1, n=100),
            Record(model="b", model_ref="c", task="x_geo", metric="accuracy", lang="de", value=-0.2, n=100)]
    path = write_records(diff, tmp_path / f"diff{suffix}")
    assert read_records(path) == diff and diff[0].key != diff[1].key  # two references: two records
    if suffix == ".jsonl":
        assert json.loads(path.read_text(encoding="utf-8").splitlines()[0])["model_ref"] == "a"
        assert "model_ref" not in RECORDS[0].to_dict()  # None: left out
    older = tmp_path / f"older{suffix}"
    write_records(RECORDS, older)
    assert all(r.model_ref is None for r in read_records(older))
