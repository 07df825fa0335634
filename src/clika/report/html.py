"""The self-contained HTML report: every figure embedded as a base64 PNG data URI, no external resources.

The PNGs are also written beside the HTML (output_dir/figures/) for papers and slides.
"""

from __future__ import annotations

import base64
import re
from html import escape
from pathlib import Path
from typing import Sequence

from clika.metrics.records import MetricRecord

TABLE_METRICS = ("accuracy", "ra", "en_co")
STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.85rem}
th,td{border:1px solid #ccc;padding:.2rem .45rem;text-align:right}
th{background:#f2f2f2} td.l,th.l{text-align:left}
img{max-width:100%;display:block;margin:.5rem 0}
nav a{margin-right:.6rem} .verdict{font-weight:bold} .muted{color:#777}
"""


def _slug(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.-]+", "_", text)


def _get(obj, name: str):
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def _num(x, spec: str = ".3f") -> str:
    return "—" if x is None else format(x, spec)


def _ci(low, high) -> str:
    return "" if low is None or high is None else f"[{low:.3f}, {high:.3f}]"


class _Figures:
    """Writes each figure as a PNG beside the report and keeps its <img> tag (base64 data URI)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.paths: list[Path] = []

    def img(self, fig, name: str, alt: str) -> str:
        from clika.report.figures import save_png

        path = save_png(fig, self.folder / f"{_slug(name)}.png")
        self.paths.append(path)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _model_table(records: Sequence[MetricRecord], model: str) -> str:
    rows = [r for r in records if r.model == model and r.metric in TABLE_METRICS and "-" not in r.lang]
    cells: dict[tuple[str, str], dict[str, MetricRecord]] = {}
    for r in rows:
        cells.setdefault((r.task, r.lang), {})[r.metric] = r
    head = "".join(f"<th>{m}</th><th>95% CI</th>" for m in TABLE_METRICS)
    out = [f'<table class="metrics"><tr><th class="l">task</th><th class="l">lang</th>{head}<th>n</th></tr>']
    from clika.report.figures import lang_order_key

    for (task, lang), by_metric in sorted(cells.items(), key=lambda kv: (kv[0][0], lang_order_key(kv[0][1]))):
        tds = "".join(f"<td>{_num(by_metric[m].value)}</td><td>{_ci(by_metric[m].ci_low, by_metric[m].ci_high)}</td>"
                      if m in by_metric else "<td>—</td><td></td>" for m in TABLE_METRICS)
        n = max(r.n for r in by_metric.values())
        out.append(f'<tr><td class="l">{escape(task)}</td><td class="l">{escape(lang)}</td>{tds}<td>{n}</td></tr>')
    out.append("</table>")
    return "\n".join(out)


def _overview_table(records: Sequence[MetricRecord], models: list[str]) -> str:
    """Mean RA / en-CO over the non-pivot languages ("avg" records), per model and task."""
    avg = {(r.model, r.task, r.metric): r for r in records if r.lang == "avg" and r.metric in ("ra", "en_co")}
    tasks = sorted({r.task for r in records})
    head = "".join(f"<th>{escape(t)} RA</th><th>{escape(t)} en-CO</th>" for t in tasks)
    out = [f'<table class="overview"><tr><th class="l">model</th>{head}</tr>']
    for m in models:
        tds = "".join(f"<td>{_num(getattr(avg.get((m, t, k)), 'value', None))}</td>" for t in tasks for k in ("ra", "en_co"))
        out.append(f'<tr><td class="l"><a href="#{_slug(m)}">{escape(m)}</a></td>{tds}</tr>')
    out.append("</table>")
    return "\n".join(out)


def _comparison_section(comparisons: Sequence, figs: _Figures) -> str:
    from clika.report.figures import forest_figure

    pairs = list(dict.fromkeys((_get(c, "model_a"), _get(c, "model_b")) for c in comparisons))
    out = ["<h2 id=\"comparisons\">Paired comparisons (B minus A)</h2>",
           '<p class="muted">95% paired-bootstrap CIs; p: exact McNemar for accuracy, bootstrap for RA and en-CO.</p>']
    for a, b in pairs:
        rows = [c for c in comparisons if _get(c, "model_a") == a and _get(c, "model_b") == b]
        out.append(f"<h3>{escape(a)} → {escape(b)}</h3>")
        out.append(figs.img(forest_figure(rows, a, b), f"forest_{a}__{b}", f"forest plot {b} minus {a}"))
        out.append('<table class="comparisons"><tr><th class="l">task</th><th class="l">lang</th><th class="l">metric</th>'
                   "<th>A</th><th>B</th><th>delta</th><th>95% CI</th><th>p</th><th>n</th></tr>")
        for c in rows:
            out.append(f'<tr><td class="l">{escape(_get(c, "task"))}</td><td class="l">{escape(_get(c, "lang"))}</td>'
                       f'<td class="l">{escape(_get(c, "metric"))}</td><td>{_num(_get(c, "value_a"))}</td>'
                       f'<td>{_num(_get(c, "value_b"))}</td><td>{_num(_get(c, "delta"), "+.3f")}</td>'
                       f'<td>{_ci(_get(c, "ci_low"), _get(c, "ci_high"))}</td><td>{_num(_get(c, "p_value"), ".3g")}</td>'
                       f'<td>{_get(c, "n")}</td></tr>')
        out.append("</table>")
    return "\n".join(out)


def _findings_section(findings) -> str:
    out = ['<h2 id="findings">Findings</h2>']
    if isinstance(findings, str):  # already-rendered Markdown: shown as text, never as markup
        return "\n".join(out + [f"<pre>{escape(findings)}</pre>"])
    for f in findings:
        out.append(f'<h3>{escape(f.claim)}</h3><p><span class="verdict">{escape(f.verdict)}</span>. '
                   f'{escape(f.summary)}</p><p class="muted">Rule: {escape(f.rule)}.</p>')
        out.append('<table class="findings"><tr><th class="l">evidence</th><th>mean</th><th>95% CI</th><th>n values</th></tr>')
        for e in f.evidence:
            v = e.value
            out.append(f'<tr><td class="l">{escape(e.label)}</td><td>{_num(v.mean)}</td>'
                       f"<td>{_ci(v.ci_low, v.ci_high)}</td><td>{v.n_values}</td></tr>")
        out.append("</table>")
    return "\n".join(out)


def write_html_report(records: list[MetricRecord], output_dir: Path, *, comparisons=None, findings=None,
                      title: str | None = None) -> Path:
    """Write output_dir/report.html (self-contained) and output_dir/figures/*.png; return the HTML path.

    comparisons: clika.analysis.compare.Comparison objects or their dicts (comparisons.jsonl rows).
    findings: clika.analysis.findings.Finding objects, or a Markdown string.
    """
    from clika.report.figures import co_heatmaps_figure, ra_bars_figure

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    figs = _Figures(output_dir / "figures")
    title = title or "CLiKA report: cross-lingual knowledge alignment"
    models = sorted({r.model for r in records})
    nav = " ".join(f'<a href="#{_slug(m)}">{escape(m)}</a>' for m in models)
    extra_nav = ('<a href="#comparisons">comparisons</a>' if comparisons else "") + \
        ('<a href="#findings">findings</a>' if findings else "")
    body = [f"<h1>{escape(title)}</h1>", f"<nav>{extra_nav} {nav}</nav>",
            "<h2>Overview: mean over non-pivot languages</h2>", _overview_table(records, models)]
    for model in models:
        body.append(f'<section class="model"><h2 id="{_slug(model)}">{escape(model)}</h2>')
        body.append(figs.img(ra_bars_figure(records, model), f"ra_{model}", f"RA by language, {model}"))
        if any(r.model == model and r.metric == "co" for r in records):
            body.append(figs.img(co_heatmaps_figure(records, model), f"co_{model}", f"pairwise co, {model}"))
        body.append(_model_table(records, model) + "</section>")
    if comparisons:
        body.append(_comparison_section(list(comparisons), figs))
    if findings:
        body.append(_findings_section(findings))
    html = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
    path = output_dir / "report.html"
    path.write_text(html, encoding="utf-8")
    return path
