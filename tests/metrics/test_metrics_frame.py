"""Records as a DataFrame for notebooks: per-language rows, language pairs and averages never
share a column; `import clika` alone gives load_results."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from clika.metrics.compute import compute_metrics
from clika.metrics.frame import records_frame, split_lang
from clika.metrics.records import MetricRecord, write_records
from clika.predictions import Prediction


def _preds():
    out = []
    for lang in ("en", "zh", "de"):
        for i in range(6):
            extra = {"original_lang": "zh" if i < 3 else "de"}
            out.append(Prediction("m", "x_geo", lang, str(i), (i + len(lang)) % 2, 0, 4, extra=extra))
    return out


def test_lang_is_split_into_lang_pair_and_aggregate_columns():
    frame = records_frame(compute_metrics(_preds(), n_boot=20))
    acc = frame[(frame.metric == "accuracy") & (frame.lang == "zh")].iloc[0]
    assert pd.isna(acc.lang_a) and pd.isna(acc.lang_b) and pd.isna(acc["aggregate"]) and acc.label == "accuracy"
    ra = frame[(frame.metric == "ra") & (frame.lang == "de")].iloc[0]
    assert (ra.lang_a, ra.lang_b, ra.label) == ("en", "de", "RA")
    pair = frame[(frame.metric == "co") & (frame.lang_a == "zh") & (frame.lang_b == "de")].iloc[0]
    assert pd.isna(pair.lang)
    avg = frame[(frame.metric == "en_co") & frame["aggregate"].notna()].iloc[0]
    assert pd.isna(avg.lang) and avg["aggregate"] == "mean over non-pivot languages"
    home = frame[(frame.metric == "home_transfer") & (frame.lang_a == "zh") & (frame.lang_b == "en")].iloc[0]
    assert pd.isna(home.lang) and home.n == 3 - sum((i + 2) % 2 for i in range(3))  # zh items right in zh
    per_query = frame[(frame.metric == "home_transfer") & (frame.lang == "en")].iloc[0]
    assert per_query["aggregate"] == "mean over source languages"
    assert set(frame.columns) >= {"lang", "lang_a", "lang_b", "aggregate", "chance", "stratum"}


def test_unknown_metrics_keep_their_lang():
    assert split_lang("my_metric", "de") == ("de", None, None, None)
    assert split_lang("my_metric", "en-de") == (None, "en", "de", None)


def test_bare_import_clika_loads_results(tmp_path):
    write_records([MetricRecord("m", "t", "en", "accuracy", 0.5, 0.4, 0.6, 10, chance=0.25)], tmp_path / "metrics.jsonl")
    code = ("import clika, sys; f = clika.load_results(sys.argv[1]); "
            "print(f.loc[0, 'value'], f.loc[0, 'chance'], clika.__version__)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    value, chance, version = out.stdout.split()
    assert (float(value), float(chance)) == (0.5, 0.25) and version
