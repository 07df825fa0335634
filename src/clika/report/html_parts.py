"""Pieces shared by the HTML report's sections: escaping, value cells, flag badges, tabs, figures."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path

from clika.formatting import DASH, format_interval, format_number
from clika.report.figures import save_png
from clika.report.flags import KINDS, Flag

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem auto;max-width:1240px;padding:0 1rem;color:#222;line-height:1.4}
h2{margin-top:2.2rem;border-bottom:1px solid #ddd} h3{margin-top:1.4rem}
table{border-collapse:collapse;margin:.5rem 0 1.2rem;font-size:.85rem}
th,td{border:1px solid #ccc;padding:.2rem .45rem;text-align:right;vertical-align:top}
th{background:#f2f2f2;white-space:nowrap} td.l,th.l{text-align:left}
table.sortable th{cursor:pointer;user-select:none} table.sortable th:after{content:" \\2195";color:#aaa}
table.sortable th[data-dir=asc]:after{content:" \\2191";color:#000} table.sortable th[data-dir=desc]:after{content:" \\2193";color:#000}
.ci{color:#666;font-size:.8rem;white-space:nowrap}
.fig{overflow-x:auto;margin:.5rem 0} .fig img{max-width:none;display:block}
nav a{margin-right:.8rem} .muted{color:#666} .verdict{font-weight:bold}
.badge{display:inline-block;border-radius:.6rem;padding:0 .45rem;margin:.05rem .1rem;font-size:.75rem;
 background:#eee;border:1px solid #bbb;white-space:nowrap;cursor:help}
.b-dominant{background:#fde2c8;border-color:#e08a3c} .b-chance{background:#f8d0d0;border-color:#c44}
.b-unparseable{background:#fff3b0;border-color:#c9a800} .b-undefined,.b-interval{background:#e6e6f5;border-color:#88a}
.b-yours{background:#d4f0d4;border-color:#3a3;font-weight:bold} .b-partial{background:#e0e0e0;border-color:#666}
tr.yours td{background:#f0fbf0} tr.unranked td{color:#555}
.tabbar{margin:.6rem 0 .2rem} .tabbar button{font:inherit;padding:.25rem .8rem;border:1px solid #bbb;background:#f6f6f6;
 cursor:pointer;border-radius:.3rem .3rem 0 0} .tabbar button.on{background:#fff;border-bottom-color:#fff;font-weight:bold}
.scroll{max-height:32rem;overflow:auto;border:1px solid #ddd} .wide{overflow-x:auto}
table.metrics td,table.leaderboard td{white-space:nowrap} table.leaderboard td:last-child{white-space:normal}
abbr.note{font-size:.7rem;color:#666;cursor:help}
details.model{border:1px solid #ddd;border-radius:.3rem;margin:.3rem 0;padding:.2rem .6rem}
details.model>summary{cursor:pointer}
.verdict{display:inline-block;border-radius:.6rem;padding:0 .55rem;margin-right:.3rem;font-size:.85rem;border:1px solid}
.v-supported{background:#d4f0d4;border-color:#3a3} .v-partly-supported{background:#fff3b0;border-color:#c9a800}
.v-not-supported{background:#f8d0d0;border-color:#c44} .v-not-testable,.v-other{background:#eee;border-color:#999}
.v-inconclusive,.v-not-measured{background:#e6e6f5;border-color:#88a} .v-no-transfer-detected{background:#f8d0d0;border-color:#c44}
.v-weak{background:#fff3b0;border-color:#c9a800} .v-high{background:#d4f0d4;border-color:#3a3}
article.finding{margin-bottom:1.6rem}
.bar{display:inline-block;position:relative;width:5rem;height:.8rem;margin-right:.35rem;vertical-align:middle;
 background:#eee} .bar i{position:absolute;top:0;height:100%} .bar .fill{left:0;background:#4c78a8}
.bar.hatch .fill{background:repeating-linear-gradient(45deg,#4c78a8 0 3px,#333 3px 4px)}
.bar .whisker{top:45%;height:2px;background:#000} .bar .chance{width:0;border-left:2px dashed #d62728}
.heats{display:flex;flex-wrap:wrap;gap:.2rem 1.2rem;overflow-x:auto}
table.heat td{text-align:center;min-width:2.2rem} table.heat caption{font-weight:bold;text-align:left}
table.heat td.na{color:#888} h4{margin:.9rem 0 .2rem;font-size:.9rem;font-weight:normal}
"""

SCRIPT = """
document.querySelectorAll('table.sortable').forEach(t => t.tHead.querySelectorAll('th').forEach((th, i) =>
  th.addEventListener('click', () => {
    const asc = th.dataset.dir !== 'asc', body = t.tBodies[0];
    t.tHead.querySelectorAll('th').forEach(h => delete h.dataset.dir); th.dataset.dir = asc ? 'asc' : 'desc';
    const key = r => { const c = r.cells[i], v = c.dataset.v;
      return v === undefined ? c.textContent.trim().toLowerCase() : (v === '' ? null : Number(v)); };
    Array.from(body.rows).sort((x, y) => { const a = key(x), b = key(y);
      if (a === null || b === null) return (a === null) - (b === null);
      return (a < b ? -1 : a > b ? 1 : 0) * (asc ? 1 : -1); }).forEach(r => body.appendChild(r));
  })));
document.querySelectorAll('.tabs').forEach(g => {
  const buttons = g.querySelectorAll(':scope > .tabbar button');
  const show = id => { buttons.forEach(b => b.classList.toggle('on', b.dataset.tab === id));
    g.querySelectorAll(':scope > .panel').forEach(p => p.hidden = p.id !== id); };
  buttons.forEach(b => b.addEventListener('click', () => show(b.dataset.tab)));
  if (buttons.length) show(buttons[0].dataset.tab);
});
const filter = document.getElementById('flag-filter');
if (filter) filter.addEventListener('input', () => { const q = filter.value.toLowerCase();
  document.querySelectorAll('#flag-table tbody tr').forEach(r => r.hidden = !!q && !r.textContent.toLowerCase().includes(q)); });
const openHash = () => { const el = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (el && el.tagName === 'DETAILS') el.open = true; };
window.addEventListener('hashchange', openHash); openHash();
"""


TOOLTIP_LINES = 8  # flagged cells named in a badge's tooltip
COUNTED = ("dominant", "unparseable", "missing")  # per-language diagnostics: badges say "n of all cells"


def slug(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.-]+", "_", text)


def model_id(model: str) -> str:
    return "model-" + slug(model)


def num_cell(value, low=None, high=None, spec: str = ".3f", signed: bool = False, extra: str = "") -> str:
    """<td> with the value (sort key in data-v) and its 95% interval beneath, or a dash."""
    if value is None:
        return f'<td data-v="">{DASH}{extra}</td>'
    ci = format_interval(low, high, ".2f", signed)
    ci_html = f' <span class="ci">{escape(ci)}</span>' if ci else ""
    return f'<td data-v="{value:.6g}">{format_number(value, ("+" + spec) if signed else spec)}{ci_html}{extra}</td>'


def left(*html: str, tag: str = "td") -> str:
    """Left-aligned cells (or headers) of ready HTML."""
    return "".join(f'<{tag} class="l">{h}</{tag}>' for h in html)


def badge(kind: str, text: str, title: str) -> str:
    return f'<span class="badge b-{escape(kind)}" title="{escape(title)}">{escape(text)}</span>'


def flag_badges(flags: Iterable[Flag], *, per_cell: bool = False, of: int = 0) -> str:
    """A badge per kind of flag: its count of cells ("12/40" of `of`; none per_cell), the notes in its tooltip."""
    flags = list(flags)
    out = []
    for kind, (name, what) in KINDS.items():
        group = [f for f in flags if f.kind == kind]
        if not group:
            continue
        if per_cell:
            out.append(badge(kind, name, "\n".join(f.text for f in group)))
            continue
        n = len({(f.task, f.lang) for f in group})
        count = f" {n}/{of}" if of and kind in COUNTED else ("" if n == 1 else f" ×{n}")
        lines = [what + ":"] + [f"{f.task}/{f.lang}: {f.text}" for f in group[:TOOLTIP_LINES]]
        if len(group) > TOOLTIP_LINES:
            lines.append(f"... and {len(group) - TOOLTIP_LINES} more (all are listed under Flags)")
        out.append(badge(kind, name + count, "\n".join(lines)))
    return " ".join(out)


def tabs(group: str, panels: Sequence[tuple[str, str]]) -> str:
    """Task tabs (buttons + panels); without JavaScript every panel is shown."""
    buttons = "".join(f'<button type="button" data-tab="{group}-{slug(name)}">{escape(name)}</button>'
                      for name, _ in panels)
    body = "".join(f'<div class="panel" id="{group}-{slug(name)}">{html}</div>' for name, html in panels)
    return f'<div class="tabs" id="{group}-tabs"><div class="tabbar">{buttons}</div>{body}</div>'


class Figures:
    """Writes each figure as a PNG beside the report and returns its <img> (a base64 data URI) at natural size,
    carrying what save_png measured (data-min-*-px, in image pixels): how large the smallest text is at 100% zoom."""

    def __init__(self, folder: Path):
        self.folder = folder

    def img(self, fig, name: str, alt: str) -> str:
        saved = save_png(fig, self.folder / f"{slug(name)}.png")
        data = base64.b64encode(saved.path.read_bytes()).decode("ascii")
        return (f'<div class="fig"><img alt="{escape(alt)}" width="{saved.width}" height="{saved.height}" '
                f'data-min-text-px="{saved.min_text_px}" data-min-tick-px="{saved.min_tick_px}" '
                f'src="data:image/png;base64,{data}"></div>')
