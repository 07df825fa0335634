"""Records as a DataFrame for notebooks: one column per Record field, so per-language rows, language
pairs and means never share a column; `import clika` alone gives load_results."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from clika.metrics.compute import compute_metrics
from clika.metrics.frame import COLUMNS, records_frame
from clika.metrics.record_io import write_records
from clika.metrics.records import Record
from clika.predictions import Prediction


def _preds():
    out = []
    for lang in ("en", "zh", "de"):
        for i in range(6):
            extra = {"original_lang": "zh" if i < 3 else "de"}
            out.append(Prediction("m", "x_geo", lang, str(i), (i + len(lang)) % 2, 0, 4, extra=extra))
    return out


def test_the_frame_has_a_column_per_record_field():
    frame = records_frame(compute_metrics(_preds(), n_boot=20))
    acc = frame[(frame.metric == "accuracy") & (frame.lang == "zh")].iloc[0]
    assert pd.isna(acc.lang_ref) and pd.isna(acc["aggregate"]) and acc.label == "accuracy"
    ra = frame[(frame.metric == "ra") & (frame.lang == "de")].iloc[0]
    assert (ra.lang_ref, ra.label) == ("en", "RA")
    pair = frame[(frame.metric == "co") & (frame.lang == "zh") & (frame.lang_ref == "de")].iloc[0]
    assert pd.isna(pair["aggregate"])
    avg = frame[(frame.metric == "en_co") & frame["aggregate"].notna()].iloc[0]
    assert pd.isna(avg.lang) and avg["aggregate"] == "mean" and avg.lang_ref == "en"
    home = frame[(frame.metric == "home_transfer") & (frame.lang_ref == "zh") & (frame.lang == "en")].iloc[0]
    assert pd.isna(home["aggregate"]) and home.n == 3 - sum((i + 2) % 2 for i in range(3))  # zh items right in zh
    per_query = frame[(frame.metric == "home_transfer") & (frame.lang == "en") & frame["aggregate"].notna()].iloc[0]
    assert pd.isna(per_query.lang_ref)  # the mean over the source languages of en
    assert set(frame.columns) >= {"lang", "lang_ref", "aggregate", "chance", "stratum", "p_value", "flags"}


def test_bare_import_clika_loads_results(tmp_path):
    write_records([Record(model="m", task="t", metric="accuracy", lang="en", value=0.5, ci_low=0.4, ci_high=0.6, n=10,
                          chance=0.25)], tmp_path / "metrics.jsonl")
    code = ("import clika, sys; f = clika.load_results(sys.argv[1]); "
            "print(f.loc[0, 'value'], f.loc[0, 'chance'], clika.__version__)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    value, chance, version = out.stdout.split()
    assert (float(value), float(chance)) == (0.5, 0.25) and version


def test_the_guide_warns_of_every_column_a_pandas_attribute_shadows():
    """`frame.flags` is pandas' flags object, not the column: the guide gives the safe spelling of each."""
    guide = (Path(__file__).resolve().parents[2] / "docs" / "guide.md").read_text(encoding="utf-8")
    shadowed = [c for c in COLUMNS if hasattr(pd.DataFrame, c)]
    assert shadowed  # aggregate and flags today; the check below must hold for any new one
    assert all(f'frame["{c}"]' in guide for c in shadowed), shadowed
