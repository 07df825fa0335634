"""Conductivity (CD) in words and tables, from its Records: the verdicts, the gate and diagnostics,
XRR with its controls per subject-overlap stratum, every value with its interval, n and p-value.
One renderer for clika conduct's report.md, `clika report`'s report.md and the HTML report."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from clika.formatting import format_record
from clika.metrics.cd import CD_METRICS, DIAGNOSTICS, GATE_PARTS, MARGIN, STRATA, TASK, cd_verdict, gate_failure
from clika.metrics.records import Record, task_label
from clika.report.html_findings import verdict_badge

CD = CD_METRICS  # the registry's "cd" metrics, in its order
DIAG = (*DIAGNOSTICS, "epochs_trained")
_GATE_COLUMNS = (*GATE_PARTS, *DIAG)
EXPLAINED = ("XRR = acc_l(type 1) / acc_en(type 1) (clika's reconstruction of the paper's metric); xrr_ctrl = "
             "acc_l(type 1) / acc_l(type 0); cd_transfer = among type-1 facts right in the source language, the share "
             "right in l. Controls: the positive control asks l's question with the source-language subject, scored "
             "leniently (acc/xrr_en_subject: either answer form) and strictly (acc/xrr_en_subject_strict: only l's "
             "form, like xrr); xrr_en_answer accepts the source-language answer too. Gaps compare like with like: "
             "control_gap = xrr_en_subject - xrr_en_answer, control_gap_strict = xrr_en_subject_strict - xrr. "
             "Cells: value [95% interval] (n, p = one-sided binomial test of the accuracy against chance); the "
             "interval of a share (an accuracy, a gate part, a diagnostic) is exact (Clopper-Pearson), that of a "
             "ratio or gap a paired bootstrap over facts. Strata: identical (the target subject spelled as in the "
             "source language), cognate (character trigrams overlap, Dice >= 0.3), none; tokenizer-free, the same "
             "for every model.")


def protocol_text(opts) -> str:
    """One paragraph: what a `clika conduct` run taught and how (from its ConductOptions)."""
    names = f", {opts.names} names" if opts.data == "generated" else (" (remapped)" if opts.remap else "")
    return (f"Data: {opts.data}{names}, seed(s) {', '.join(map(str, opts.seeds))}; facts taught in {opts.source}, "
            f"names taught {opts.name_direction} (\"en\" = {opts.source}). Training preset {opts.preset!r}"
            + (f" with {opts.train_overrides}" if opts.train_overrides else "")
            + (f", until the gate holds (at most {opts.max_epochs} epochs)" if opts.until_gate else "")
            + f". Mastery gate: {opts.gate:.2f} on each part" + (" (the untaught name direction too)"
                                                                  if opts.gate_untaught else "")
            + ", names asked with a held-out prompt written in "
            + ("English" if opts.gate_prompt == "english" else "the name's own language")
            + f". Verdict margin: chance + {opts.margin:.2f}.")


RunKey = tuple[str, str | None, str, str]  # model, condition (None: the paper's protocol), source, target


def runs_of(records: Sequence[Record]) -> dict[RunKey, list[Record]]:
    """(model, condition, source, target) -> that run's records, pooled over seeds; conditions stay apart."""
    out: dict[RunKey, list[Record]] = {}
    for r in records:
        if r.task == TASK and r.lang is not None:
            out.setdefault((r.model, r.condition, r.lang_ref or "en", r.lang), []).append(r)
    return out


def _pair(condition: str | None, source: str, target: str) -> str:
    """A run's source -> target in the tables, with its condition where it is not the paper's protocol."""
    return f"{source} -> {target}" + (f" ({condition})" if condition else "")


def _cell(rec: Record | None) -> str:
    if rec is None:
        return ""
    if rec.metric == "epochs_trained" and rec.value is not None:  # a count, n = training examples
        return f"{rec.value:.0f} ({rec.n} examples)"
    text = format_record(rec)
    if rec.value is None:
        return text
    p = f", p={rec.p_value:.3g}" if rec.p_value is not None else ""
    return f"{text} (n={rec.n}{p})"


def _by_stratum(recs: Sequence[Record]):
    """(stratum or "all", metric -> record) of each stratum that has an xrr record, overall first."""
    for stratum in (None, *STRATA):
        rec = {r.metric: r for r in recs if r.stratum == (stratum and f"overlap={stratum}")}
        if "xrr" in rec:
            yield stratum or "all", rec


def verdict_line(recs: Sequence[Record], margin: float = MARGIN) -> str:
    """A run's verdict in one sentence (the reason: margin, bound, what n can detect), with the gate."""
    verdict = cd_verdict(recs, margin)
    epochs = {r.metric: r for r in recs if r.stratum is None}.get("epochs_trained")
    failure = gate_failure(recs)
    after = f" after {epochs.value:.0f} epochs" if epochs and epochs.value is not None else ""
    tested = any(r.metric.startswith("gate_") and r.value is not None for r in recs)
    gate = (f" (gate failed{after}: {failure.split('(', 1)[-1].rstrip(')')}.)" if failure
            else f" (gate passed{after}.)" if tested else "")
    return f"**{verdict.label}** — {verdict.reason}.{gate}"


def cd_markdown(records: Sequence[Record], protocol: str | None = None, margin: float = MARGIN) -> str:
    runs = runs_of(records)
    lines = ["## Conductivity (CD)", ""] + ([protocol, ""] if protocol else []) + [EXPLAINED, "", "### Verdicts", ""]
    for (model, condition, source, target), recs in runs.items():
        verdict = verdict_line(recs, margin)
        lines.append(f"- **{model}**, {task_label(TASK, condition)}, {source} -> {target}: {verdict}")
    header = "| model | source -> target | " + " | ".join(_GATE_COLUMNS) + " |"
    lines += ["", "### Gate and diagnostics", "", header, "|" + " --- |" * (len(_GATE_COLUMNS) + 2)]
    for (model, condition, source, target), recs in runs.items():
        rec = {r.metric: r for r in recs if r.stratum is None}
        cells = " | ".join(_cell(rec.get(m)) for m in _GATE_COLUMNS)
        lines.append(f"| {model} | {_pair(condition, source, target)} | {cells} |")
    header = "| model | source -> target | stratum | " + " | ".join(CD) + " |"
    title = "### XRR with its controls, overall and by subject overlap"
    lines += ["", title, "", header, "|" + " --- |" * (len(CD) + 3)]
    for (model, condition, source, target), recs in runs.items():
        for stratum, rec in _by_stratum(recs):
            cells = " | ".join(_cell(rec.get(m)) for m in CD)
            lines.append(f"| {model} | {_pair(condition, source, target)} | {stratum} | {cells} |")
    return "\n".join(lines) + "\n"


def cd_html(records: Sequence[Record], curves: dict | None = None, margin: float = MARGIN) -> str:
    """The CD section: per run the verdict, the tables, its learning curves ((model, source, target) -> <img>)."""
    runs = runs_of(records)
    if not runs:
        return ""
    parts = ['<section id="cd"><h2>Conductivity (CD)</h2>', f"<p>{escape(EXPLAINED)}</p>"]
    head = "".join(f"<th>{escape(m)}</th>" for m in CD)
    for (model, condition, source, target), recs in runs.items():
        verdict = cd_verdict(recs, margin)
        rows = "".join(f'<tr><td class="l">{escape(stratum)}</td>'
                       + "".join(f"<td>{escape(_cell(rec.get(m)))}</td>" for m in CD) + "</tr>"
                       for stratum, rec in _by_stratum(recs))
        overall = {r.metric: r for r in recs if r.stratum is None}
        gate = "".join(f"<li>{escape(m)}: {escape(_cell(overall[m]))}</li>" for m in _GATE_COLUMNS if m in overall)
        parts += [f"<h3>{escape(model)} · {escape(task_label(TASK, condition))} · {escape(source)} → "
                  f"{escape(target)}</h3><p>{verdict_badge(verdict.label)} {escape(verdict.reason)}</p>",
                  f'<table class="sortable"><thead><tr><th class="l">stratum</th>{head}</tr></thead>'
                  f"<tbody>{rows}</tbody></table>",
                  f"<ul>{gate}</ul>", (curves or {}).get((model, source, target), "")]
    parts.append("</section>")
    return "".join(parts)
