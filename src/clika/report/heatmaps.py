"""Heatmaps of the HTML report, in the style of the CLiKA paper's figures, a number in every cell:

- model_lang_heatmap: one panel per headline pivot-relative metric (RA, en-CO, RankC), models (rows) by non-English
  language and their mean (columns), one figure per task. Cells resting on a dominant option are hatched; rows whose
  English accuracy is not above chance are dimmed and marked with a dagger (RA then compares with a guesser, whose RA
  is 1). Colour bars mark each metric's registered chance level (RA = 1 for a guesser in both languages, en-CO of two
  independent guessers = c / (2 - c) with c = 1/k, RankC of two random rankings).
- home_transfer_overview: the per-L means (over the source cultures S) of every model.
- strategy_figure: base -> derived deltas of one training strategy, one dot per (task, lang).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from clika.items import PIVOT, lang_order_key
from clika.metrics.catalog import headline_per_language, label
from clika.metrics.records import Record
from clika.report.figures import FLAG_COLOR, HATCH, TICK_PT, TITLE_PT, annotate
from clika.report.terminal import mean_last

ROW_IN = 0.3  # inches per model row
COL_IN = 0.46  # inches per language column
MIN_COLS = 7  # a panel is at least this many columns wide, so that its colour bar's label fits
DAGGER = "†"  # English accuracy not above chance
DDAGGER = "‡"  # dominant option in English
MEAN = "mean"
RA_MAX = 1.2  # RA may exceed 1; the scale leaves room for the guesser's RA = 1
HATCHED = dict(fill=False, hatch=HATCH, edgecolor=FLAG_COLOR, lw=0, alpha=0.5, zorder=2)  # a dominant option's cell


def _task_chance(records: Sequence[Record], task: str) -> float | None:
    chances = {r.chance for r in records if r.task == task and r.metric == "accuracy" and r.chance is not None}
    return chances.pop() if len(chances) == 1 else None


def _column(r: Record, aggregated: bool) -> str | None:
    """The heatmap column of a record: its language, or MEAN for the mean over languages. aggregated: the panel
    shows per-language means (home transfer's mean over source cultures) instead of values."""
    if r.stratum is not None:
        return None
    if r.aggregate == "mean":
        return r.lang if r.lang is not None else MEAN
    return None if aggregated else r.lang


@dataclass(frozen=True)
class Panel:
    """One heatmap panel: `metric` of `task`, columns = its languages (and their mean)."""

    task: str
    metric: str
    title: str
    vmax: float = 1.0
    chance: float | None = None  # drawn as a red line on the colour bar
    chance_text: str | None = None
    aggregated: bool = False  # per-language means (home transfer) rather than per-language values


def _draw_panel(fig, ax, panel: Panel, langs: list[str], models: list[str], index: dict, flags, height_in: float):
    """One panel: numbered cells, dominant options hatched, rows at chance dimmed, a colour bar with the chance line."""
    cells = [[index.get((m, panel.task, lang, panel.metric)) for lang in langs] for m in models]
    mat = np.array([[getattr(r, "value", None) for r in row] for row in cells], dtype=float)  # None -> NaN
    mat = mat.reshape(len(models), len(langs))
    cmap = plt.get_cmap("viridis").with_extremes(bad="#eeeeee")
    norm = matplotlib.colors.Normalize(0, panel.vmax)
    image = ax.imshow(np.ma.masked_invalid(mat), norm=norm, cmap=cmap, aspect="auto", interpolation="nearest")
    annotate(ax, mat, cmap, norm, dim_rows={i for i, m in enumerate(models) if flags.at_chance(m, panel.task)})
    for i, m in enumerate(models):
        for j, lang in enumerate(langs):
            if lang != MEAN and flags.has(m, panel.task, lang, "dominant"):
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, **HATCHED))
    if MEAN in langs:
        ax.axvline(langs.index(MEAN) - 0.5, color="white", lw=3)
    ax.set_xticks(range(len(langs)), langs, fontsize=TICK_PT)
    ax.xaxis.tick_top()
    ax.set_title(panel.title, fontsize=TITLE_PT, pad=22)
    cax = ax.inset_axes([0.0, -0.6 / height_in, 1.0, 0.2 / height_in])
    bar = fig.colorbar(image, cax=cax, orientation="horizontal")
    bar.ax.tick_params(labelsize=TICK_PT)
    text = label(panel.metric)
    if panel.chance is not None:
        bar.ax.axvline(panel.chance, color="#d62728", lw=3)
        text += f"\nred line: {panel.chance_text} = {panel.chance:.2f}"
    bar.set_label(text, fontsize=TICK_PT)


def model_panels_figure(records: Sequence[Record], panels: Sequence[Panel], models, flags, *, title: str, legend,
                        yours=None, row_label=None) -> Figure:
    """Panels (_draw_panel) side by side sharing the model rows."""
    index = {}
    for p in panels:
        for r in records:
            if r.task == p.task and r.metric == p.metric and (col := _column(r, p.aggregated)) is not None:
                index[(r.model, r.task, col, r.metric)] = r
    columns = [mean_last({lang for (_, t, lang, m) in index if (t, m) == (p.task, p.metric)}) for p in panels]
    keys = [(p.task, lang, p.metric) for p, langs in zip(panels, columns) for lang in langs]
    models = [m for m in models if any((m, *key) in index for key in keys)]
    top_in, bottom_in = 1.1, 1.45 + 0.3 * len(legend)  # titles above; colour bars and the legend below
    height_in = max(1.5, ROW_IN * len(models))
    width_in = sum(COL_IN * max(len(c), MIN_COLS) for c in columns) + 0.3 * len(panels)
    total_in = height_in + top_in + bottom_in
    fig = plt.figure(figsize=(width_in, total_in))
    fig.subplots_adjust(left=0.0, right=1.0, top=1 - top_in / total_in, bottom=bottom_in / total_in, wspace=0.14)
    axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    for ax, panel, langs in zip(axes, panels, columns):
        _draw_panel(fig, ax, panel, langs, models, index, flags, height_in)
    names = [(row_label or str)(m) + (" (yours)" if yours and m in yours else "") for m in models]
    axes[0].set_yticks(range(len(models)), names, fontsize=TICK_PT)
    for tick, m in zip(axes[0].get_yticklabels(), models):
        if yours and m in yours:
            tick.set_fontweight("bold")
    for ax in axes[1:]:
        ax.tick_params(labelleft=False)
    fig.suptitle(title, fontsize=TITLE_PT + 1)
    fig.legend(handles=list(legend), loc="lower center", ncol=1, fontsize=TICK_PT, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    return fig


def _legend(*extra: str, dagger: bool = True) -> list[Patch]:
    dimmed = "dimmed row: English accuracy not above chance"
    dimmed = f"{DAGGER} {dimmed} (a guesser has RA = 1)" if dagger else f"{dimmed} in this task"
    hatched = "hatched cell: dominant option in this language (overlap inflated)"
    return [Patch(facecolor="white", edgecolor=FLAG_COLOR, hatch=HATCH, label=hatched),
            Patch(facecolor="#dddddd", label=dimmed),
            *(Patch(facecolor="white", edgecolor="white", label=text) for text in extra)]


def model_lang_heatmap(records: Sequence[Record], task: str, models: Sequence[str], flags, yours=None,
                       ranks=None) -> Figure:
    """One panel per headline pivot-relative metric, rows = models (given order, with rank), columns = languages."""
    c = _task_chance(records, task)
    k = round(1 / c) if c else None
    panels = []
    for d in headline_per_language():
        values = [r.value for r in records if r.task == task and r.metric == d.name and r.value is not None]
        if d.scope != "lang" and values:
            chance = d.chance_value(k) if d.chance_value and k else None
            panels.append(Panel(task, d.name, d.label, max(1.0, min(RA_MAX, max(values))), chance, "chance"))

    def row_label(m: str) -> str:
        marks = DAGGER if flags.at_chance(m, task) else ""
        marks += DDAGGER if flags.has(m, task, flags.pivot, "dominant") else ""
        rank = (ranks or {}).get(m)
        return (f"{marks} " if marks else "") + m + (f"  #{rank}" if rank is not None else "")

    english = f"{DDAGGER} dominant option in English (every en-CO of the row is inflated)"
    legend = _legend(english, "#n: rank in the leaderboard of this task")
    how = f"k = {k} options, chance 1/k = {c:.2f}" if c else "chance unknown"
    title = f"{task}: {' and '.join(p.title for p in panels)} by model and language ({how})"
    return model_panels_figure(records, panels, models, flags, title=title, legend=legend, yours=yours,
                               row_label=row_label)


def st_matrix(records: Sequence[Record], model: str, task: str) -> tuple[list[str], list[str], np.ndarray]:
    mine = [r for r in records if r.model == model and r.task == task and r.metric == "home_transfer"]
    pairs = {(r.lang_ref, r.lang): r.value for r in mine if r.aggregate is None and r.lang_ref is not None}
    sources = sorted({s for s, _ in pairs}, key=lang_order_key)
    queries = sorted({q for _, q in pairs}, key=lang_order_key)
    mat = np.array([[pairs.get((s, q)) for q in queries] for s in sources], dtype=float)  # None -> NaN
    return sources, queries, mat.reshape(len(sources), len(queries))


def home_transfer_tasks(records: Sequence[Record], model: str | None = None) -> list[str]:
    return sorted({r.task for r in records if r.metric == "home_transfer" and (model is None or r.model == model)})


def home_transfer_overview(records: Sequence[Record], models: Sequence[str], flags,
                           yours: set[str] | None = None) -> Figure:
    """One panel per task: models by query language L, home_transfer's mean over the source cultures S."""
    name = label("home_transfer")
    panels = [Panel(task, "home_transfer", f"{task}: {name}", 1.0, _task_chance(records, task), "L guessed, 1/k", True)
              for task in home_transfer_tasks(records)]
    title = f"{name} by query language L (mean over source cultures S)"
    return model_panels_figure(records, panels, models, flags, yours=yours, legend=_legend(dagger=False), title=title)


def strategy_figure(comparisons: Sequence, strategy: str, metrics: Sequence[str], alpha: float = 0.05) -> Figure:
    """One panel per metric, one row per (base -> derived) pair, a dot per (task, lang) delta (its title says how)."""
    rows = [c for c in comparisons if c.model_ref is not None and c.strategy == strategy and c.value is not None]
    pairs = list(dict.fromkeys((c.model_ref, c.model) for c in rows))
    size = (3.4 * len(metrics) + 0.5, 0.42 * len(pairs) + 1.6)
    fig, axes = plt.subplots(1, len(metrics), figsize=size, squeeze=False, sharey=True)
    y = {p: i for i, p in enumerate(pairs)}
    for ax, metric in zip(axes[0], metrics):
        sel = [c for c in rows if c.metric == metric]
        pos = np.array([y[(c.model_ref, c.model)] for c in sel], dtype=float)
        delta = np.array([c.value for c in sel], dtype=float)
        p = np.array([np.nan if c.p_value is None else c.p_value for c in sel], dtype=float)
        pivot = np.array([c.lang == PIVOT for c in sel], dtype=bool)
        sig = np.nan_to_num(p, nan=1.0) < alpha
        colors = np.where(sig & (delta > 0), "#d62728", np.where(sig & (delta < 0), "#1f77b4", "#aaaaaa"))
        jitter = (np.arange(len(sel)) % 5 - 2) * 0.06
        ax.scatter(delta[~pivot], pos[~pivot] + jitter[~pivot], s=14, c=colors[~pivot], alpha=0.8, lw=0)
        if pivot.any():
            ax.scatter(delta[pivot], pos[pivot], s=40, c="black", marker="D", zorder=3)
        ax.axvline(0, color="#555", lw=1, ls="--")
        ax.set_title(f"Δ {label(metric)}", fontsize=TICK_PT + 1)
        ax.tick_params(labelsize=TICK_PT)
    axes[0][0].set_yticks(range(len(pairs)), [f"{a} → {b}" for a, b in pairs], fontsize=TICK_PT)
    axes[0][0].set_ylim(len(pairs) - 0.5, -0.5)
    fig.suptitle(f"{strategy.replace('_', ' ')}: derived minus base, one dot per (task, language); red / blue: "
                 f"p < {alpha} up / down; black diamond: English", fontsize=TICK_PT + 1)
    fig.tight_layout()
    return fig
