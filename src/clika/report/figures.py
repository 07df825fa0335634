"""Report figures (matplotlib, Agg backend, PNG): RA bars with CI whiskers, co heatmaps, forest plots.

Each function takes tidy records (MetricRecord / Comparison), returns a Figure and draws nothing
interactive; save_png writes it and closes it (figures are many: 3 per model in a full report).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")  # headless: no display is needed or wanted
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from clika.items import LANGS  # noqa: E402
from clika.metrics.records import MetricRecord  # noqa: E402


def lang_order_key(lang: str) -> tuple[int, str]:
    """The paper's language order; other codes after, "avg" (mean over languages) last."""
    return (LANGS.index(lang) if lang in LANGS else len(LANGS) + (lang == "avg"), lang)


_lang_key = lang_order_key


def _tasks(records: Sequence[MetricRecord], model: str) -> list[str]:
    return sorted({r.task for r in records if r.model == model})


def ra_bars_figure(records: Sequence[MetricRecord], model: str, metric: str = "ra") -> Figure:
    """One panel per task: `metric` (RA by default) per non-pivot language, with 95% CI whiskers."""
    tasks = _tasks(records, model)
    fig, axes = plt.subplots(1, max(1, len(tasks)), figsize=(3.2 * max(1, len(tasks)), 2.8), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        rows = sorted((r for r in records if r.model == model and r.task == task and r.metric == metric
                       and r.lang != "avg" and "-" not in r.lang), key=lambda r: _lang_key(r.lang))
        x = np.arange(len(rows))
        values = np.array([np.nan if r.value is None else r.value for r in rows], dtype=float)
        low = np.array([np.nan if r.ci_low is None else r.ci_low for r in rows], dtype=float)
        high = np.array([np.nan if r.ci_high is None else r.ci_high for r in rows], dtype=float)
        ax.bar(x, np.nan_to_num(values), color="#4c78a8")
        has_ci = np.isfinite(low) & np.isfinite(high) & np.isfinite(values)
        if has_ci.any():
            err = np.vstack([values - low, high - values])[:, has_ci]
            ax.errorbar(x[has_ci], values[has_ci], yerr=np.clip(err, 0, None), fmt="none", ecolor="black", capsize=2, lw=0.8)
        ax.axhline(1.0, color="#888", lw=0.8, ls="--")  # parity with the pivot language
        ax.set_xticks(x, [r.lang for r in rows], fontsize=8)
        ax.set_title(task, fontsize=9)
        ax.set_ylim(0, max(1.2, float(np.nanmax(high, initial=1.0)) + 0.05))
    axes[0][0].set_ylabel(metric)
    fig.suptitle(f"{model}: {metric} by language (95% CI)", fontsize=10)
    fig.tight_layout()
    return fig


def co_matrix(records: Sequence[MetricRecord], model: str, task: str, metric: str = "co") -> tuple[list[str], np.ndarray]:
    """(langs, symmetric matrix) of the pairwise `metric` ("l1-l2" records); diagonal 1, missing NaN."""
    pairs = {tuple(r.lang.split("-", 1)): r.value for r in records
             if r.model == model and r.task == task and r.metric == metric and "-" in r.lang}
    langs = sorted({l for p in pairs for l in p}, key=_lang_key)
    index = {l: i for i, l in enumerate(langs)}
    mat = np.full((len(langs), len(langs)), np.nan)
    np.fill_diagonal(mat, 1.0)
    for (a, b), v in pairs.items():
        mat[index[a], index[b]] = mat[index[b], index[a]] = np.nan if v is None else v
    return langs, mat


def co_heatmaps_figure(records: Sequence[MetricRecord], model: str, metric: str = "co") -> Figure:
    """One heatmap per task of the pairwise co matrix (overlap of correct answers)."""
    tasks = [t for t in _tasks(records, model) if co_matrix(records, model, t, metric)[0]]
    n = max(1, len(tasks))
    fig, axes = plt.subplots(1, n, figsize=(3.3 * n, 3.2), squeeze=False)
    image = None
    for ax, task in zip(axes[0], tasks):
        langs, mat = co_matrix(records, model, task, metric)
        image = ax.imshow(np.ma.masked_invalid(mat), vmin=0, vmax=1, cmap="viridis")
        ax.set_xticks(range(len(langs)), langs, fontsize=7, rotation=90)
        ax.set_yticks(range(len(langs)), langs, fontsize=7)
        ax.set_title(task, fontsize=9)
    if not tasks:
        axes[0][0].text(0.5, 0.5, "no pairwise records", ha="center", va="center")
        axes[0][0].set_axis_off()
    if image is not None:
        fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label=metric)
    fig.suptitle(f"{model}: pairwise {metric}", fontsize=10)
    return fig


def forest_figure(comparisons: Sequence, model_a: str, model_b: str) -> Figure:
    """Forest plot of B minus A: one panel per metric, one row per (task, lang), delta with its 95% CI."""
    rows = [c for c in comparisons if _get(c, "model_a") == model_a and _get(c, "model_b") == model_b]
    metrics = [m for m in ("accuracy", "ra", "en_co") if any(_get(c, "metric") == m for c in rows)]
    labels = sorted({(_get(c, "task"), _get(c, "lang")) for c in rows}, key=lambda tl: (tl[0], _lang_key(tl[1])))
    y = {tl: i for i, tl in enumerate(labels)}
    fig, axes = plt.subplots(1, max(1, len(metrics)), figsize=(3.0 * max(1, len(metrics)), 0.9 + 0.16 * len(labels)),
                             squeeze=False, sharey=True)
    for ax, metric in zip(axes[0], metrics):
        sel = [c for c in rows if _get(c, "metric") == metric and _get(c, "delta") is not None]
        pos = np.array([y[(_get(c, "task"), _get(c, "lang"))] for c in sel], dtype=float)
        delta = np.array([_get(c, "delta") for c in sel], dtype=float)
        low = np.array([_nan(_get(c, "ci_low")) for c in sel], dtype=float)
        high = np.array([_nan(_get(c, "ci_high")) for c in sel], dtype=float)
        ok = np.isfinite(low) & np.isfinite(high)
        significant = ok & ((low > 0) | (high < 0))
        ax.hlines(pos[ok], low[ok], high[ok], color="#555", lw=1)
        ax.scatter(delta, pos, s=10, c=np.where(significant, "#d62728", "#1f77b4"), zorder=3)
        ax.axvline(0, color="#888", lw=0.8, ls="--")
        ax.set_title(metric, fontsize=9)
        ax.tick_params(labelsize=7)
    axes[0][0].set_yticks(range(len(labels)), [f"{t} {l}" for t, l in labels])
    axes[0][0].invert_yaxis()
    fig.suptitle(f"{model_b} minus {model_a} (95% CI; red: CI excludes 0)", fontsize=10)
    fig.tight_layout()
    return fig


def _get(obj, name: str):
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def _nan(x) -> float:
    return np.nan if x is None else float(x)


def save_png(fig: Figure, path: Path, dpi: int = 90) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path
