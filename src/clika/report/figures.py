"""Report figures (matplotlib, Agg, PNG): the drawing helpers the heatmaps share, learning curves, and save_png.

Readable at 100% zoom: texts are at least TEXT_PT points and tick labels TICK_PT points at DPI dots per inch, so a
tick label is TICK_PT * DPI / 72 = 12.5 px tall, and the HTML shows images at natural size. save_png measures the
smallest text and tick label it saved (in image pixels), so that the report can state it and a test check it in the
browser. Axis names come from the metric registry (``label``), never the raw metric name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display is needed or wanted
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from clika.metrics.catalog import label, tagged

DPI = 90
TICK_PT = 10  # tick labels: 12.5 px at DPI
TEXT_PT = 8  # the smallest text (numbers in cells): 10 px at DPI
TITLE_PT = 12
HATCH = "///"
FLAG_COLOR = "#333333"
DIM = 0.6  # share of white laid over a dimmed cell


@dataclass(frozen=True)
class SavedFigure:
    path: Path
    width: int  # px
    height: int
    min_text_px: float  # the smallest text drawn, in image pixels
    min_tick_px: float  # the smallest tick label


def save_png(fig: Figure, path: Path, dpi: int = DPI, colors: int | None = 256) -> SavedFigure:
    """Write the figure (quantized to a palette of `colors`, which keeps the report small) and close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    # the texts drawn: visible, non-empty, not on a hidden axes; tick labels apart
    hidden = {id(t) for ax in fig.axes if not ax.axison for t in ax.get_xticklabels() + ax.get_yticklabels()}
    ticks = {id(t) for ax in fig.axes if ax.axison for t in ax.get_xticklabels() + ax.get_yticklabels()}
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and id(t) not in hidden]
    to_px = dpi / 72.0
    min_text = min((t.get_fontsize() for t in texts), default=0.0) * to_px
    min_tick = min((t.get_fontsize() for t in texts if id(t) in ticks), default=min_text / to_px) * to_px
    plt.close(fig)
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


def cell_text(v: float, spec: str = ".2f") -> str:
    """A heatmap cell's number: ".83" for 0.83 (values in [0, 1) lose their leading zero), a dash when undefined."""
    if not np.isfinite(v):
        return "—"
    text = format(v, spec)
    return text.replace("0.", ".", 1) if 0 <= v < 1 else text


def annotate(ax, mat: np.ndarray, cmap, norm, dim_rows: set[int] = frozenset()) -> None:
    """Write every cell's number (cell_text) in a colour that reads on it; dim_rows under a white veil of DIM."""
    for (i, j), v in np.ndenumerate(mat):
        rgba = np.array(cmap(norm(v)) if np.isfinite(v) else (1, 1, 1, 1))
        if i in dim_rows:
            rgba = (1 - DIM) * rgba + DIM
        ax.text(j, i, cell_text(v), ha="center", va="center", fontsize=TEXT_PT, color=text_color(rgba), zorder=3)
    for i in dim_rows:
        ax.add_patch(plt.Rectangle((-0.5, i - 0.5), mat.shape[1], 1, facecolor="white", alpha=DIM, lw=0, zorder=1))


def curve_figure(rows: Sequence[dict], title: str) -> Figure:
    """A conductivity run's XRR, controls and gate parts against epochs (rows: a seed's curve.jsonl)."""
    fig, (gate_ax, cd_ax) = plt.subplots(1, 2, figsize=(8.4, 3.0), sharex=True)
    for metric in (d.name for d in tagged("curve")):
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
