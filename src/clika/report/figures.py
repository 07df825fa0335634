"""Report figures (matplotlib, Agg backend, PNG): per-model accuracy bars and pairwise CO heatmaps,
the shared drawing helpers, and save_png.

Readable at 100% zoom: every text is at least TEXT_PT points and tick labels TICK_PT points,
saved at DPI dots per inch, so a tick label is TICK_PT * DPI / 72 = 12.5 px tall in the image,
and the HTML shows images at their natural size. save_png measures what it saved (the smallest
text and tick label, in pixels of the image) so that the report can state it and a test can
check it in the browser. Axis names come from the metric registry (``label``), never the raw
metric name. The model x language and home-transfer heatmaps are in heatmaps.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display is needed or wanted
import matplotlib.patches
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.text import Text

from clika.items import lang_order_key
from clika.metrics.catalog import label
from clika.metrics.records import Record

DPI = 90
TICK_PT = 10  # tick labels: 12.5 px at DPI
TEXT_PT = 8  # the smallest text (numbers in cells): 10 px at DPI
TITLE_PT = 12
HATCH = "///"
FLAG_COLOR = "#333333"

_lang_key = lang_order_key


@dataclass(frozen=True)
class SavedFigure:
    path: Path
    width: int  # px
    height: int
    min_text_px: float  # the smallest text drawn, in image pixels
    min_tick_px: float  # the smallest tick label


def _visible_texts(fig: Figure) -> tuple[list[Text], list[Text]]:
    """(all texts, tick labels) that are drawn: visible, non-empty, not on a hidden axes."""
    hidden = {id(t) for ax in fig.axes if not ax.axison for t in ax.get_xticklabels() + ax.get_yticklabels()}
    ticks = {id(t) for ax in fig.axes if ax.axison for t in ax.get_xticklabels() + ax.get_yticklabels()}
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and id(t) not in hidden]
    return texts, [t for t in texts if id(t) in ticks]


def save_png(fig: Figure, path: Path, dpi: int = DPI, colors: int | None = 256, crisp: bool = False) -> SavedFigure:
    """Write the figure (quantized to a palette of `colors`, which keeps the report small) and close it.

    crisp: draw text without anti-aliasing: a third of the bytes for figures full of numbers (the many
    per-model figures), still legible at the same sizes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if crisp:
        for t in fig.findobj(Text):
            t.set_antialiased(False)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    texts, ticks = _visible_texts(fig)
    to_px = dpi / 72.0
    min_text = min((t.get_fontsize() for t in texts), default=0.0) * to_px
    min_tick = min((t.get_fontsize() for t in ticks), default=min_text / to_px) * to_px
    plt.close(fig)
    from PIL import Image

    with Image.open(path) as im:
        image = im.convert("RGB")
    if colors:
        image = image.quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    image.save(path, optimize=True)
    return SavedFigure(path, image.width, image.height, round(min_text, 2), round(min_tick, 2))


def text_color(rgba) -> str:
    """Black or white, whichever reads better on a cell of colour rgba."""
    r, g, b = rgba[:3]
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


def _tasks(records: Sequence[Record], model: str) -> list[str]:
    return sorted({r.task for r in records if r.model == model})


def _values(rows: Sequence[Record]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    def arr(name):
        return np.array([np.nan if getattr(r, name) is None else getattr(r, name) for r in rows], dtype=float)

    return arr("value"), arr("ci_low"), arr("ci_high")


def accuracy_bars_figure(records: Sequence[Record], model: str, flags=None, metric: str = "accuracy") -> Figure:
    """One panel per task: `metric` per language with 95% CI whiskers and the chance line at 1/k
    (from the records' chance); bars of languages with a dominant option hatched."""
    tasks = [t for t in _tasks(records, model)
             if any(r.model == model and r.task == t and r.metric == metric for r in records)]
    n = max(1, len(tasks))
    fig, axes = plt.subplots(1, n, figsize=(3.0 * n, 3.0), squeeze=False, sharey=True)
    for ax, task in zip(axes[0], tasks):
        rows = sorted((r for r in records if r.model == model and r.task == task and r.metric == metric
                       and r.stratum is None and r.aggregate is None and r.lang is not None),
                      key=lambda r: _lang_key(r.lang))
        x = np.arange(len(rows))
        values, low, high = _values(rows)
        hatched = [flags is not None and flags.has(model, task, r.lang, "dominant") for r in rows]
        bars = ax.bar(x, np.nan_to_num(values), color="#4c78a8", edgecolor=FLAG_COLOR, linewidth=0)
        for bar, h in zip(bars, hatched):
            if h:
                bar.set_hatch(HATCH)
                bar.set_edgecolor(FLAG_COLOR)
        ok = np.isfinite(low) & np.isfinite(high) & np.isfinite(values)
        if ok.any():
            err = np.clip(np.vstack([values - low, high - values])[:, ok], 0, None)
            ax.errorbar(x[ok], values[ok], yerr=err, fmt="none", ecolor="black", capsize=2, lw=0.8)
        chance = sorted({r.chance for r in rows if r.chance is not None})
        for c in chance:
            ax.axhline(c, color="#d62728", lw=1.2, ls="--")
        title = task + (f"  (chance {chance[0]:.2f})" if len(chance) == 1 else "")
        ax.set_xticks(x, [r.lang for r in rows], fontsize=TICK_PT)
        ax.tick_params(axis="y", labelsize=TICK_PT)
        ax.set_title(title, fontsize=TICK_PT + 1)
        ax.set_ylim(0, 1.0)
    axes[0][0].set_ylabel(label(metric), fontsize=TICK_PT + 1)
    fig.suptitle(f"{model}: {label(metric)} by language (95% CI); red dashed line: chance 1/k; "
                 f"hatched: dominant option", fontsize=TITLE_PT - 1)
    fig.tight_layout()
    return fig


def co_matrix(records: Sequence[Record], model: str, task: str, metric: str = "co") -> tuple[list[str], np.ndarray]:
    """(langs, symmetric matrix) of the pairwise `metric` (lang, lang_ref records); diagonal 1, missing NaN."""
    pairs = {(r.lang, r.lang_ref): r.value for r in records
             if r.model == model and r.task == task and r.metric == metric and r.lang_ref is not None}
    langs = sorted({code for p in pairs for code in p}, key=_lang_key)
    index = {code: i for i, code in enumerate(langs)}
    mat = np.full((len(langs), len(langs)), np.nan)
    np.fill_diagonal(mat, 1.0)
    for (a, b), v in pairs.items():
        mat[index[a], index[b]] = mat[index[b], index[a]] = np.nan if v is None else v
    return langs, mat


DIM = 0.6  # share of white laid over a dimmed cell


def annotate(ax, mat: np.ndarray, cmap, norm, spec: str = ".2f", fontsize: float = TEXT_PT,
             dim_rows: set[int] = frozenset(), blank_undefined: bool = False) -> None:
    """Write every cell's number (a dash where undefined; ".83" for 0.83) in a colour that reads on
    the cell (rows in dim_rows are drawn under a white veil of DIM, see dim_row)."""
    for i in range(mat.shape[0]):
        for j in range(mat.shape[1]):
            v = mat[i, j]
            if blank_undefined and not np.isfinite(v):
                continue
            text = "—" if not np.isfinite(v) else format(v, spec).replace("0.", ".", 1) if 0 <= v < 1 else format(v, spec)
            rgba = np.array(cmap(norm(v)) if np.isfinite(v) else (1, 1, 1, 1))
            if i in dim_rows:
                rgba = (1 - DIM) * rgba + DIM
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=text_color(rgba), zorder=3)


def dim_row(ax, i: int, n_cols: int) -> None:
    ax.add_patch(matplotlib.patches.Rectangle((-0.5, i - 0.5), n_cols, 1, facecolor="white", alpha=DIM, lw=0,
                                              zorder=1))


def co_heatmaps_figure(records: Sequence[Record], model: str, metric: str = "co") -> Figure:
    """One heatmap per task (two per row) of the pairwise matrix of `metric` (overlap of correct answers),
    a number in every cell of the lower triangle (the matrix is symmetric; its diagonal is 1)."""
    tasks = [t for t in _tasks(records, model) if co_matrix(records, model, t, metric)[0]]
    n = max(1, len(tasks))
    cols, rows = min(2, n), (n + 1) // 2
    size = max(2.5, 0.46 * max((len(co_matrix(records, model, t, metric)[0]) - 1 for t in tasks), default=4))
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols + 1.3, (size + 0.5) * rows + 0.5), squeeze=False,
                             layout="constrained")
    cmap = plt.get_cmap("viridis").with_extremes(bad="white")
    norm = matplotlib.colors.Normalize(0, 1)
    image = None
    for ax, task in zip(axes.flat, tasks):
        langs, mat = co_matrix(records, model, task, metric)
        mat[np.triu_indices(len(langs))] = np.nan  # symmetric: the lower triangle says it all
        mat = mat[1:, :-1]  # ... and its first row and last column are empty
        image = ax.imshow(np.ma.masked_invalid(mat), norm=norm, cmap=cmap)
        annotate(ax, mat, cmap, norm, blank_undefined=True)
        ax.set_xticks(range(len(langs) - 1), langs[:-1], fontsize=TICK_PT)
        ax.set_yticks(range(len(langs) - 1), langs[1:], fontsize=TICK_PT)
        ax.set_title(task, fontsize=TICK_PT + 1)
    for ax in list(axes.flat)[len(tasks):]:
        ax.set_axis_off()
    if not tasks:
        axes[0][0].text(0.5, 0.5, "no pairwise records", ha="center", va="center", fontsize=TICK_PT)
    if image is not None:
        bar = fig.colorbar(image, ax=axes, shrink=0.6)
        bar.set_label(label(metric), fontsize=TICK_PT + 1)
        bar.ax.tick_params(labelsize=TICK_PT)
    fig.suptitle(f"{model}: pairwise {label(metric)} (overlap of correct answers of two languages)",
                 fontsize=TITLE_PT - 1)
    return fig


CURVE_METRICS = ("gate_en_type0", "gate_en_type1", "gate_l_type0", "gate_translation", "acc_l_type1", "xrr",
                 "xrr_en_subject", "xrr_en_answer")


def curve_figure(rows: Sequence[dict], title: str) -> Figure:
    """Learning curves of a conductivity run: XRR, its controls and the gate parts against epochs
    (rows: curve.jsonl's epoch, metric, value, n; a seed's own curve)."""
    fig, (gate_ax, cd_ax) = plt.subplots(1, 2, figsize=(8.4, 3.0), sharex=True)
    for metric in CURVE_METRICS:
        points = sorted((r["epoch"], r["value"]) for r in rows if r["metric"] == metric and r["value"] is not None)
        if points:
            ax = gate_ax if metric.startswith("gate_") else cd_ax
            ax.plot(*zip(*points), marker="o", ms=3, lw=1.2, label=label(metric))
    for ax, name in ((gate_ax, "mastery gate parts"), (cd_ax, "XRR and its controls")):
        ax.set_title(name, fontsize=TICK_PT + 1)
        ax.set_xlabel("epoch", fontsize=TICK_PT)
        ax.set_ylim(0, 1.05)
        ax.tick_params(labelsize=TICK_PT)
        ax.legend(fontsize=TICK_PT - 1, frameon=False)
    gate_ax.axhline(0.9, color="#d62728", lw=1, ls="--")
    fig.suptitle(title, fontsize=TITLE_PT - 1)
    fig.tight_layout()
    return fig
