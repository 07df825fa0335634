"""The HTML report's family view (base -> derived deltas from `clika compare`) and home transfer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from html import escape

from clika.analysis.compare import ALPHA, significant
from clika.analysis.families import STRATEGIES
from clika.analysis.strategy import ALL_TASKS
from clika.formatting import DASH, format_number
from clika.items import lang_order_key
from clika.metrics.catalog import compared, label
from clika.metrics.records import Record
from clika.report.heatmaps import home_transfer_overview, home_transfer_tasks, strategy_figure
from clika.report.html_parts import Figures, left, num_cell

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
HOW_TO_COMPARE = ("Deltas of derived models over their base need paired predictions (the same items answered by both "
                  "models), which metric records do not hold. Run <code>clika compare --predictions DIR --output "
                  "CMP</code> (or <code>clika compare RUN_DIR... --output CMP</code>), then <code>clika report RESULTS "
                  "--html --comparisons CMP</code>.")
FROM_SCRATCH = ("These models are pretrained from scratch: there is no base model to subtract. The findings compare "
                "them with English-dominant models.")
NO_HOME_TRANSFER = ('<p class="muted">No home_transfer records: they need predictions that carry each item\'s original '
                    "language (x_geo, x_name items run with <code>clika run</code>).</p>")


def _metrics(comparisons: Sequence) -> list[str]:
    """The compared metrics (the registry's, in order) that these comparisons hold."""
    present = {c.metric for c in comparisons}
    return [d.name for d in compared() if d.name in present]


def _delta_cell(c) -> str:
    """A delta [CI] with its star and p (a comparison or a strategy pool record), or a dash."""
    if c is None:
        return f"<td>{DASH}</td>"
    mark = f' <b title="p = {c.p_value:.3g} &lt; {ALPHA}">{STAR}</b>' if significant(c) else ""
    p = f' <span class="ci">p={format_number(c.p_value, ".2g")}</span>' if c.p_value is not None else ""
    return num_cell(c.value, c.ci_low, c.ci_high, signed=True, extra=mark + p)


def _summary_table(summaries: Sequence, strategy: str) -> str:
    """Pooled mean deltas over the strategy's pairs (its pool records over all tasks)."""
    rows = [s for s in summaries if s.strategy == strategy and s.task == ALL_TASKS]
    if not rows:
        return ""
    groups: dict[tuple, dict[str, object]] = defaultdict(dict)
    for s in rows:
        groups[(s.lang or "", s.stratum)][s.metric] = s
    metrics = _metrics(rows)
    body = []
    for (target, scope), by in groups.items():
        note = escape(next(iter(by.values())).note or "")
        cells = "".join(_delta_cell(by.get(m)) for m in metrics)
        where = left(escape(target or "—"), escape(SCOPES.get(scope, str(scope))))
        body.append(f'<tr>{where}<td title="{note}">{max(s.n for s in by.values())}</td>{cells}</tr>')
    head = "".join(f"<th>mean Δ {escape(label(m))}</th>" for m in metrics)
    return (f'<table class="strategy-summary"><thead><tr>{left("target", "languages", tag="th")}'
            f'<th title="the deltas each mean averages (pairs × tasks × languages)">values</th>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def _pair_table(rows: Sequence, pairs: list[tuple[str, str]]) -> str:
    """Per pair and metric: how many (task, lang) deltas are significantly up / down, of how many."""
    metrics = _metrics(rows)
    body = []
    for a, b in pairs:
        cells = []
        for m in metrics:
            sel = [c for c in rows if (c.model_ref, c.model) == (a, b) and c.metric == m and c.value is not None]
            up = sum(1 for c in sel if significant(c) and c.value > 0)
            down = sum(1 for c in sel if significant(c) and c.value < 0)
            cells.append(f'<td data-v="{up - down}">{up} ↑ / {down} ↓ of {len(sel)}</td>')
        body.append(f'<tr>{left(f"{escape(a)} → {escape(b)}")}{"".join(cells)}</tr>')
    head = "".join(f"<th>{escape(label(m))}: ↑ / ↓ of n</th>" for m in metrics)
    return (f'<table class="pairs sortable"><thead><tr>{left("base → derived", tag="th")}{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


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
        where = left(f"{escape(a)} → {escape(b)}", escape(task), escape(lang))
        body.append(f"<tr>{where}{tds}<td>{n_items[key]}</td></tr>")
    head = "".join(f"<th>Δ {escape(label(m))}</th>" for m in metrics)
    return (f'<table class="comparisons"><thead><tr>{left("base → derived", "task", "lang", tag="th")}{head}<th>n</th>'
            "</tr></thead><tbody>" + "\n".join(body) + "</tbody></table>")


def families_section(comparisons: Sequence | None, summaries: Sequence | None, figs: Figures) -> str:
    out = ['<h2 id="families">Model families: derived minus base</h2>']
    # the difference records of the comparisons (model B, model_ref A), without both models' own values
    comparisons = [c for c in comparisons or [] if c.model_ref is not None]
    if not comparisons:
        return out[0] + f'<p class="how-to">{HOW_TO_COMPARE}</p>'
    out.append("<p>Paired deltas (derived minus base) from <code>clika compare</code>: 95% paired-bootstrap intervals; "
               "p: exact McNemar test for 0/1 outcomes (accuracy), two-sided bootstrap p otherwise (each metric's "
               f"paired test in the registry); {STAR} = p &lt; {ALPHA} (each test on its own, not corrected for the "
               "many tests).</p>")
    present = list(dict.fromkeys(c.strategy or "other" for c in comparisons))
    for strategy in [s for s in STRATEGIES if s != "base"] + [s for s in present if s not in STRATEGIES]:
        title = STRATEGY_LABELS.get(strategy, strategy)
        rows = [c for c in comparisons if (c.strategy or "other") == strategy]
        if not rows and strategy == "mixed_multilingual_pretraining":
            out.append(f'<h3>{escape(title)}</h3><p class="muted">{FROM_SCRATCH}</p>')
        if not rows:
            continue
        pairs = list(dict.fromkeys((c.model_ref, c.model) for c in rows))
        out.append(f'<h3 id="strategy-{escape(strategy)}">{escape(title)} ({len(pairs)} pairs)</h3>')
        out.append(_summary_table(summaries or [], strategy))
        figure = strategy_figure(rows, strategy, _metrics(rows))
        out.append(figs.img(figure, f"strategy_{strategy}", f"deltas, {title}"))
        out.append(_pair_table(rows, pairs))
        if len(comparisons) <= MAX_DETAIL_ROWS:
            out.append(f"<details><summary>every delta of this strategy ({len(rows)} comparisons)</summary>"
                       f"{_detail_table(rows, pairs)}</details>")
        else:
            out.append(f'<p class="muted">{len(rows)} deltas, each with its interval and p: comparisons.md and '
                       "comparisons.jsonl of the <code>clika compare</code> folder (the page lists them one by one up "
                       f"to {MAX_DETAIL_ROWS} comparisons in all).</p>")
    return "\n".join(out)


def home_transfer_section(records: Sequence[Record], models: Sequence[str], flags, figs: Figures,
                          yours: set[str] | None = None) -> str:
    heading = '<h2 id="home-transfer">Home transfer</h2>'
    text = (f"<p>{escape(label('home_transfer'))}: among the items native to culture S (x_geo, x_name) that a model "
            "answers correctly when asked in S, the share it also answers correctly when asked in L. It is a proxy for "
            "the conductivity of naturally acquired knowledge (no training is involved), not XRR. Below: the mean over "
            "the source cultures per query language L (hatched: a dominant option in L; dimmed: English accuracy at "
            "chance); each model's S × L matrix is in its section.</p>")
    if not home_transfer_tasks(records):
        return heading + text + NO_HOME_TRANSFER
    figure = home_transfer_overview(records, models, flags, yours)
    alt = "home transfer by model and query language"
    return "\n".join([heading, text, figs.img(figure, "home_transfer_overview", alt)])
