"""Flags where a number is read: a file cut short is partial (unranked, no overall, its reason said), a
diagnostic flag is listed once from its own record, "undefined" is one line per model and metric, and
the unparseable threshold is one constant, the same in the records, the tables, the report and the docs."""

from __future__ import annotations

import re
from pathlib import Path

from clika.metrics.compute import compute_metrics
from clika.metrics.flags import FLAGS, UNPARSEABLE_FLAG
from clika.predictions import Prediction
from clika.report.flags import KINDS, FlagIndex, collect_flags, records_coverage
from clika.report.leaderboard import OVERALL, RANK_KEY, build_leaderboard
from clika.report.terminal import SUMMARY_CAPTION, summary_table

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("en", "zh", "de")
N = 40


def preds(model: str, task: str, *, right: int = 30, cut: dict | None = None, unreadable: dict | None = None,
          one_option: bool = False) -> list[Prediction]:
    """k = 4, gold i % 4; right on the first `right` items; cut {lang: n}: only the first n items read;
    unreadable {lang: n}: the first n answers unparseable; one_option: always "A"."""
    out = []
    for lang in LANGS:
        for i in range(cut.get(lang, N) if cut else N):
            gold = i % 4
            choice = 0 if one_option else (gold if i < right else (gold + 1) % 4)
            if unreadable and i < unreadable.get(lang, 0):
                choice = None
            out.append(Prediction(model, task, lang, str(i), choice, gold, 4))
    return out


def scored(predictions: list[Prediction]):
    tasks = {p.task for p in predictions}
    return compute_metrics(predictions, n_boot=0, expected_langs={t: LANGS for t in tasks},
                           item_counts={(t, lang): N for t in tasks for lang in LANGS})


def test_a_cut_short_file_is_partial_unranked_without_overall_and_says_why(tmp_path):
    records = scored(preds("full", "x_geo") + preds("full", "x_name")
                     + preds("cut", "x_geo", cut={"de": 24}) + preds("cut", "x_name"))
    board = build_leaderboard(records)
    rows = {(r.model, r.task): r for rs in board.values() for r in rs}
    cut = rows[("cut", "x_geo")]
    assert cut.rank is None and cut.unranked_because == "not ranked: partial: x_geo/de: 24 of 40 items"
    assert cut.flags.startswith("partial: x_geo/de: 24 of 40 items")
    assert rows[("cut", "x_name")].rank == 1  # its complete task is ranked as before
    overall = rows[("cut", OVERALL)]
    assert overall.rank is None and overall.value("en_co") is None
    assert overall.note == "partial (x_geo/de: 24 of 40 items): no overall value; its task rows are listed"
    assert rows[("full", OVERALL)].rank == 1 and rows[("full", "x_geo")].rank == 1
    # the coverage the report prints from the records says the same
    cov = records_coverage(records, tmp_path)
    assert cov.complete_models() == ["full"] and cov.partial_models() == {"cut": "x_geo/de: 24 of 40 items"}
    # and the score table
    table = {(row[0], row[1]): row for row in summary_table(records).rows}
    assert table[("cut", "x_geo")][-1] == "partial: x_geo/de: 24 of 40 items"


def test_a_diagnostic_flag_is_listed_once_from_its_record_and_undefined_once_per_metric():
    records = scored(preds("lazy", "x_geo", one_option=True) + preds("lazy", "x_name", one_option=True))
    assert any("dominant" in r.flags for r in records if r.metric == "en_co")  # the values carry it
    flags = collect_flags(records)
    dominant = [f for f in flags if f.kind == "dominant"]
    assert sorted((f.task, f.lang) for f in dominant) == sorted((t, lang) for t in ("x_geo", "x_name") for lang in LANGS)
    assert {f.metric for f in dominant} == {"dominant_option_flag"}
    undefined = [f for f in flags if f.kind == "undefined"]
    assert len(undefined) == len({f.metric for f in undefined})  # one per model and metric
    rankc = next(f for f in undefined if f.metric == "rankc")
    assert rankc.tasks == ("x_geo", "x_name") and rankc.where == "x_geo, x_name" and rankc.lang == "zh de"
    assert rankc.text.startswith("RankC: undefined in 4 of 4 (task, language) values; e.g. x_geo/zh: ")
    index = FlagIndex(records)
    assert rankc in index.of("lazy", "x_name") and rankc in index.of("lazy", "x_geo")
    board = build_leaderboard(records)
    overall = next(r for r in board[OVERALL] if r.model == "lazy")
    assert overall.flag_list.count(rankc) == 1  # once on the overall row, not once per task


def test_one_unparseable_threshold_in_the_records_the_tables_the_report_and_the_docs():
    words = f"{UNPARSEABLE_FLAG:.0%}"
    assert words in FLAGS["unparseable"] and words in KINDS["unparseable"][1]
    assert f"more than {words} of the English answers unparseable" in RANK_KEY
    assert f"unparseable = more than {words} of the answers" in SUMMARY_CAPTION
    assert f"Above {words}\n(`UNPARSEABLE_FLAG`" in (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    # defined once: no module assigns another unparseable threshold
    assignments = [(p.name, line) for p in (ROOT / "src" / "clika").rglob("*.py")
                   for line in p.read_text(encoding="utf-8").splitlines()
                   if re.match(r"\s*UNPARSEABLE_\w+\s*=", line)]
    assert assignments == [("flags.py", f"UNPARSEABLE_FLAG = {UNPARSEABLE_FLAG}")]
    # and it acts the same everywhere: English at the threshold is ranked, one answer more is not
    at = round(UNPARSEABLE_FLAG * N)
    records = scored(preds("at", "x_geo", unreadable={"en": at}) + preds("above", "x_geo", unreadable={"en": at + 1}))
    rows = {r.model: r for r in build_leaderboard(records)["x_geo"]}
    assert rows["at"].rank is not None and "unparseable" not in rows["at"].flags
    assert rows["above"].rank is None and f"more than {words} of the English answers" in rows["above"].note
    assert rows["above"].flags.startswith(f"unparseable > {words} in 1/3 languages")
    table = {row[0]: row[-1] for row in summary_table(records).rows}
    assert table == {"at": "", "above": "unparseable 1/3 langs"}
    acc = {r.model: r for r in records if r.metric == "accuracy" and r.lang == "en"}
    assert "unparseable" in acc["above"].flags and "unparseable" not in acc["at"].flags
