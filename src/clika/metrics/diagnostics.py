"""Answer diagnostics per (model, task, lang): why a number may mean less than it seems.

- unparseable_rate: share of the language's items with no usable answer;
- option_share_A, option_share_B, ...: the distribution of chosen options
  (over all items of the language, so shares + unparseable_rate = 1);
- dominant_option_share / dominant_option_flag: a model that always answers
  "A" gets high cross-lingual overlap (co, agreement) for free, so a dominant
  option is flagged and the report says so;
- missing_items: items of the task that have no prediction in this language.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clika.items import LETTERS
from clika.metrics.core import PredictionMatrix
from clika.metrics.records import MetricRecord


def dominance_threshold(k: int) -> float:
    """Top-option share above which one option dominates.

    max(0.5, 2/k): twice the uniform share, and at least half of the answers.
    Capped at 0.8 so that two-option tasks (where 2/k = 1) can be flagged too.
    """
    return min(0.8, max(0.5, 2.0 / k))


@dataclass(frozen=True)
class LangDiagnostics:
    lang: str
    n: int  # items of the task present in this language
    missing: int  # items of the task absent in this language
    unparseable_rate: float | None
    option_shares: tuple[float, ...]  # one per option, over all n items
    top_option: int
    top_share: float | None
    dominant: bool

    def describe(self) -> str | None:
        if self.top_share is None:
            return None
        letter = LETTERS[self.top_option]
        if self.dominant:
            return f"answers '{letter}' on {100 * self.top_share:.0f}% of items"
        return f"most frequent answer '{letter}' on {100 * self.top_share:.0f}% of items"


def diagnose(m: PredictionMatrix) -> list[LangDiagnostics]:
    n_langs, n_items = m.choice.shape
    rows = np.broadcast_to(np.arange(n_langs)[:, None], m.choice.shape)
    # Column 0 counts unparseable answers (choice -1), column c + 1 counts option c.
    cells = (rows * (m.k + 1) + m.choice + 1)[m.present]
    counts = np.bincount(cells, minlength=n_langs * (m.k + 1)).reshape(n_langs, m.k + 1)
    n_present = counts.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = counts / n_present[:, None]
    threshold = dominance_threshold(m.k)
    out = []
    for r, lang in enumerate(m.langs):
        n = int(n_present[r])
        option_shares = shares[r, 1:]
        top = int(option_shares.argmax()) if n else 0
        top_share = float(option_shares[top]) if n else None
        out.append(LangDiagnostics(
            lang=lang, n=n, missing=n_items - n,
            unparseable_rate=float(shares[r, 0]) if n else None,
            option_shares=tuple(float(s) for s in option_shares) if n else (),
            top_option=top, top_share=top_share,
            dominant=bool(n and top_share > threshold),
        ))
    return out


def diagnostic_records(m: PredictionMatrix) -> list[MetricRecord]:
    threshold = dominance_threshold(m.k)
    records = []
    for d in diagnose(m):
        def rec(metric: str, value: float | None, note: str | None = None) -> MetricRecord:
            return MetricRecord(m.model, m.task, d.lang, metric, value, n=d.n,
                                note=note if d.n else f"no items in {d.lang}")

        records.append(rec("unparseable_rate", d.unparseable_rate))
        for c in range(m.k):
            records.append(rec(f"option_share_{LETTERS[c]}", d.option_shares[c] if d.n else None))
        records.append(rec("dominant_option_share", d.top_share, d.describe()))
        flag_note = (f"{d.describe()} (threshold {100 * threshold:.0f}%): overlap metrics "
                     f"are inflated by answering one option") if d.dominant else None
        records.append(rec("dominant_option_flag", float(d.dominant) if d.n else None, flag_note))
        records.append(MetricRecord(m.model, m.task, d.lang, "missing_items", float(d.missing),
                                    n=d.n + d.missing))
    return records
