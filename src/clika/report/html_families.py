"""The HTML report's family view (base -> derived deltas from `clika compare`) and home transfer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from html import escape

from clika.formatting import DASH, format_number
from clika.items import lang_order_key
from clika.metrics.catalog import compared, label
from clika.metrics.records import Record
from clika.report.html_parts import Figures, num_cell

ALPHA = 0.05
MAX_DETAIL_ROWS = 1000  # comparisons listed one by one in the page; with more, comparisons.md has them
STAR = "★"
STRATEGY_LABELS = {
    "continued_pretraining": "Continued pretraining",
    "mixed_multilingual_pretraining": "Mixed multilingual pretraining",
    "instruction_tuning_en": "Instruction tuning (English data)",
    "instruction_tuning_multilingual": "Instruction tuning (multilingual data)",
    "other": "Other recipes",
}
SCOPES = {"target": "the target language", "others": "the other non-English languages",
          "target_minus_others": "target minus others", "pivot": "English", "non_pivot": "the non-English languages"}
HOW_TO_COMPARE = ("Deltas of derived models over their base need paired predictions (the same items answered by "
                  "both models), which metric records do not hold. Run <code>clika compare --predictions DIR "
                  "--output CMP</code> (or <code>clika compare RUN_DIR... --output CMP</code>), then <code>clika "
                  "report RESULTS --html --comparisons CMP</code>.")


def _deltas(comparisons: Sequence[Record]) -> list[Record]:
    """The difference records of a comparison (model B, model_ref A), without both models' own values."""
    return [c for c in comparisons if c.model_ref is not None]


def _metrics(comparisons: Sequence) -> list[str]:
    """The compared metrics (the registry's, in order) that these comparisons hold."""
    present = {c.metric for c in comparisons}
    return [d.name for d in compared() if d.name in present]


def _significant(c) -> bool:
    p = c.p_value
    return p is not None and p < ALPHA


def _delta_cell(c) -> str:
    if c is None:
        return f"<td>{DASH}</td>"
    mark = f' <b title="p = {c.p_value:.3g} &lt; {ALPHA}">{STAR}</b>' if _significant(c) else ""
    p = c.p_value
    return num_cell(c.value, c.ci_low, c.ci_high, signed=True,
                    extra=mark + (f' <span class="ci">p={format_number(p, ".2g")}</span>' if p is not None else ""))


def _summary_table(summaries: Sequence, strategy: str) -> str:
    """Pooled mean deltas over the strategy's pairs (its pool records over all tasks)."""
    from clika.analysis.strategy import ALL_TASKS

    rows = [s for s in summaries if s.strategy == strategy and s.task == ALL_TASKS]
    if not rows:
        return ""
    groups: dict[tuple, dict[str, object]] = defaultdict(dict)
    for s in rows:
        groups[(s.lang or "", s.stratum)][s.metric] = s
    metrics = [d.name for d in compared() if any(s.metric == d.name for s in rows)]
    head = "".join(f"<th>mean Δ {escape(label(m))}</th>" for m in metrics)
    body = []
    for (target, scope), by in groups.items():
        first = next(iter(by.values()))
        cells = "".join(_summary_cell(by.get(m)) for m in metrics)
        body.append(f'<tr><td class="l">{escape(target or "—")}</td><td class="l">{escape(SCOPES.get(scope, str(scope)))}</td>'
                    f'<td title="{escape(first.note or "")}">{max(s.n for s in by.values())}</td>{cells}</tr>')
    return ('<table class="strategy-summary"><thead><tr><th class="l">target</th><th class="l">languages</th>'
            f'<th title="the deltas each mean averages (pairs × tasks × languages)">values</th>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _summary_cell(s) -> str:
    if s is None:
        return f"<td>{DASH}</td>"
    mark = f' <b title="p = {s.p_value:.3g} &lt; {ALPHA}">{STAR}</b>' if s.p_value is not None and \
        s.p_value < ALPHA else ""
    p = f' <span class="ci">p={format_number(s.p_value, ".2g")}</span>' if s.p_value is not None else ""
    return num_cell(s.value, s.ci_low, s.ci_high, signed=True, extra=mark + p)


def _pair_table(rows: Sequence, pairs: list[tuple[str, str]]) -> str:
    """Per pair and metric: how many (task, lang) deltas are significantly up / down, of how many."""
    metrics = _metrics(rows)
    head = "".join(f"<th>{escape(label(m))}: ↑ / ↓ of n</th>" for m in metrics)
    body = []
    for a, b in pairs:
        cells = []
        for m in metrics:
            sel = [c for c in rows if (c.model_ref, c.model) == (a, b) and c.metric == m
                   and c.value is not None]
            up = sum(1 for c in sel if _significant(c) and c.value > 0)
            down = sum(1 for c in sel if _significant(c) and c.value < 0)
            cells.append(f'<td data-v="{up - down}">{up} ↑ / {down} ↓ of {len(sel)}</td>')
        body.append(f'<tr><td class="l">{escape(a)} → {escape(b)}</td>{"".join(cells)}</tr>')
    return (f'<table class="pairs sortable"><thead><tr><th class="l">base → derived</th>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _detail_table(rows: Sequence, pairs: list[tuple[str, str]]) -> str:
    """Every delta: rows = (pair, task, lang), columns = metrics, cells = delta [CI], star, p."""
    cells: dict[tuple, dict[str, object]] = defaultdict(dict)
    n_items: dict[tuple, int] = {}
    for c in rows:
        key = (c.model_ref, c.model, c.task, c.lang)
        cells[key][c.metric] = c
        n_items[key] = c.n
    order = {p: i for i, p in enumerate(pairs)}
    metrics = _metrics(rows)
    body = []
    for key in sorted(cells, key=lambda k: (order[(k[0], k[1])], k[2], lang_order_key(k[3]))):
        a, b, task, lang = key
        tds = "".join(_delta_cell(cells[key].get(m)) for m in metrics)
        body.append(f'<tr><td class="l">{escape(a)} → {escape(b)}</td><td class="l">{escape(task)}</td>'
                    f'<td class="l">{escape(lang)}</td>{tds}<td>{n_items[key]}</td></tr>')
    head = "".join(f"<th>Δ {escape(label(m))}</th>" for m in metrics)
    return ('<table class="comparisons"><thead><tr><th class="l">base → derived</th><th class="l">task</th>'
            f'<th class="l">lang</th>{head}<th>n</th></tr></thead><tbody>' + "\n".join(body) + "</tbody></table>")


def families_section(comparisons: Sequence | None, summaries: Sequence | None, figs: Figures) -> str:
    from clika.analysis.families import STRATEGIES
    from clika.report.heatmaps import strategy_figure

    out = ['<h2 id="families">Model families: derived minus base</h2>']
    comparisons = _deltas(comparisons or [])
    if not comparisons:
        return out[0] + f'<p class="how-to">{HOW_TO_COMPARE}</p>'
    out.append(f"<p>Paired deltas (derived minus base) from <code>clika compare</code>: 95% paired-bootstrap "
               f"intervals; p: exact McNemar test for 0/1 outcomes (accuracy), two-sided bootstrap p otherwise "
               f"(each metric's paired test in the registry); {STAR} = "
               f"p &lt; {ALPHA} (each test on its own, not corrected for the many tests).</p>")
    present = list(dict.fromkeys(c.strategy or "other" for c in comparisons))
    for strategy in [s for s in STRATEGIES if s != "base"] + [s for s in present if s not in STRATEGIES]:
        title = STRATEGY_LABELS.get(strategy, strategy)
        rows = [c for c in comparisons if (c.strategy or "other") == strategy]
        if not rows:
            if strategy == "mixed_multilingual_pretraining":
                out.append(f"<h3>{escape(title)}</h3><p class=\"muted\">These models are pretrained from scratch: "
                           "there is no base model to subtract. The findings compare them with English-dominant "
                           "models.</p>")
            continue
        pairs = list(dict.fromkeys((c.model_ref, c.model) for c in rows))
        out.append(f'<h3 id="strategy-{escape(strategy)}">{escape(title)} ({len(pairs)} pairs)</h3>')
        out.append(_summary_table(summaries or [], strategy))
        out.append(figs.img(strategy_figure(rows, strategy, _metrics(rows)), f"strategy_{strategy}", f"deltas, {title}"))
        out.append(_pair_table(rows, pairs))
        if len(comparisons) <= MAX_DETAIL_ROWS:
            out.append(f"<details><summary>every delta of this strategy ({len(rows)} comparisons)</summary>"
                       f"{_detail_table(rows, pairs)}</details>")
        else:
            out.append(f'<p class="muted">{len(rows)} deltas, each with its interval and p: comparisons.md and '
                       "comparisons.jsonl of the <code>clika compare</code> folder (the page lists them one by one up to "
                       f"{MAX_DETAIL_ROWS} comparisons in all).</p>")
    return "\n".join(out)


def home_transfer_section(records: Sequence[Record], models: Sequence[str], flags, figs: Figures,
                          yours: set[str] | None = None) -> str:
    from clika.report.heatmaps import home_transfer_overview, home_transfer_tasks

    out = ['<h2 id="home-transfer">Home transfer</h2>',
           (f"<p>{escape(label('home_transfer'))}: among the items native to culture S (x_geo, x_name) that a model "
           "answers correctly when asked in S, the share it also answers correctly when asked in L. It is a proxy "
           "for the conductivity of naturally acquired knowledge (no training is involved), not XRR. Below: the "
           "mean over the source cultures per query language L (hatched: a dominant option in L; dimmed: English "
           "accuracy at chance); each model's S × L matrix is in its section.</p>")]
    tasks = home_transfer_tasks(records)
    if not tasks:
        return "".join(out) + ("<p class=\"muted\">No home_transfer records: they need predictions that carry each "
                               "item's original language (x_geo, x_name items run with <code>clika run</code>).</p>")
    out.append(figs.img(home_transfer_overview(records, models, flags, yours), "home_transfer_overview",
                        "home transfer by model and query language"))
    return "\n".join(out)
