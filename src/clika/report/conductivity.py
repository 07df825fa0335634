"""Conductivity (CD) in words and tables, from its Records: the verdicts, the gate and diagnostics,
XRR with its controls per subject-overlap stratum, every value with its interval, n and p-value.
One renderer for clika conduct's report.md, `clika report`'s report.md and the HTML report."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from clika.formatting import format_record
from clika.metrics.conductivity import (
    GATE_PARTS,
    STRATA,
    TASK,
    cd_verdict,
    detectable_accuracy,
    gate_failure,
)  # fmt: skip
from clika.metrics.records import Record

CD = ("acc_l_type1", "xrr", "xrr_ctrl", "cd_transfer", "xrr_en_subject", "xrr_en_answer", "control_gap")
DIAG = ("name_copy_rate", "name_untaught", "multi_answer", "epochs_trained")
EXPLAINED = ("XRR = acc_l(type 1) / acc_en(type 1) (clika's reconstruction of the paper's metric); xrr_ctrl = "
             "acc_l(type 1) / acc_l(type 0); cd_transfer = among type-1 facts right in the source language, the share "
             "right in l. Controls: xrr_en_subject asks l's question with the source-language subject (the positive "
             "control), xrr_en_answer accepts the source-language answer too; control_gap = xrr_en_subject - xrr. "
             "Cells: value [95% bootstrap interval over facts] (n, p = one-sided binomial test of the accuracy "
             "against chance). Strata: identical (the target subject spelled as in the source language), cognate "
             "(character trigrams overlap, Dice >= 0.3), none; tokenizer-free, the same for every model.")


def protocol_text(opts) -> str:
    """One paragraph: what a `clika conduct` run taught and how (from its ConductOptions)."""
    names = f", {opts.names} names" if opts.data == "generated" else (" (remapped)" if opts.remap else "")
    return (f"Data: {opts.data}{names}, seed(s) {', '.join(map(str, opts.seeds))}; facts taught in {opts.source}, "
            f"names taught {opts.name_direction} (\"en\" = {opts.source}). Training preset {opts.preset!r}"
            + (f" with {opts.train_overrides}" if opts.train_overrides else "")
            + (f", until the gate holds (at most {opts.max_epochs} epochs)" if opts.until_gate else "")
            + f". Mastery gate: {opts.gate:.2f} on each part" + (" (the untaught name direction too)"
                                                                  if opts.gate_untaught else "") + ".")


def runs_of(records: Sequence[Record]) -> dict[tuple[str, str, str, str], list[Record]]:
    """(model, task, source, target) -> that run's records (pooled over seeds where there were several)."""
    out: dict[tuple[str, str, str, str], list[Record]] = {}
    for r in records:
        if r.task.startswith(TASK) and r.lang is not None:
            out.setdefault((r.model, r.task, r.lang_ref or "en", r.lang), []).append(r)
    return out


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


def verdict_line(recs: Sequence[Record]) -> str:
    """A run's verdict in one sentence, with what the sample size can detect."""
    verdict = cd_verdict(recs)
    overall = {r.metric: r for r in recs if r.stratum is None}
    acc, epochs = overall.get("acc_l_type1"), overall.get("epochs_trained")
    power = detectable_accuracy(acc.n, acc.chance) if acc else None
    size = (f" With n={acc.n} type-1 facts and chance {acc.chance:.3f}, the test against chance detects an accuracy "
            f"of {power:.2f} or more with 80% power." if acc and acc.chance and power else "")
    failure = gate_failure(recs)
    after = f" after {epochs.value:.0f} epochs" if epochs and epochs.value is not None else ""
    tested = any(r.metric.startswith("gate_") and r.value is not None for r in recs)
    gate = (f" (gate failed{after}: {failure.split('(', 1)[-1].rstrip(')')}.)" if failure
            else f" (gate passed{after}.)" if tested else "")
    return f"**{verdict.label}** — {verdict.reason}.{gate}{size}"


def cd_markdown(records: Sequence[Record], protocol: str | None = None) -> str:
    runs = runs_of(records)
    lines = ["## Conductivity (CD)", ""] + ([protocol, ""] if protocol else []) + [EXPLAINED, "", "### Verdicts", ""]
    for (model, task, source, target), recs in runs.items():
        lines.append(f"- **{model}**, {task}, {source} -> {target}: {verdict_line(recs)}")
    header = "| model | source -> target | " + " | ".join((*GATE_PARTS, *DIAG)) + " |"
    lines += ["", "### Gate and diagnostics", "", header, "|" + " --- |" * (len(GATE_PARTS) + len(DIAG) + 2)]
    for (model, _, source, target), recs in runs.items():
        rec = {r.metric: r for r in recs if r.stratum is None}
        lines.append(f"| {model} | {source} -> {target} | " + " | ".join(_cell(rec.get(m)) for m in (*GATE_PARTS, *DIAG))
                     + " |")
    lines += ["", "### XRR with its controls, overall and by subject overlap", "",
              "| model | source -> target | stratum | " + " | ".join(CD) + " |", "|" + " --- |" * (len(CD) + 3)]
    for (model, _, source, target), recs in runs.items():
        for stratum in (None, *STRATA):
            rec = {r.metric: r for r in recs if r.stratum == (stratum and f"overlap={stratum}")}
            if "xrr" in rec:
                lines.append(f"| {model} | {source} -> {target} | {stratum or 'all'} | "
                             + " | ".join(_cell(rec.get(m)) for m in CD) + " |")
    return "\n".join(lines) + "\n"


def cd_html(records: Sequence[Record], curves: dict | None = None) -> str:
    """The CD section of the HTML report: per run the verdict, then the tables (and learning curves,
    curves: (model, source, target) -> the figure's <img>)."""
    from clika.report.html_findings import verdict_badge

    runs = runs_of(records)
    if not runs:
        return ""
    parts = ['<section id="cd"><h2>Conductivity (CD)</h2>', f"<p>{escape(EXPLAINED)}</p>"]
    for (model, task, source, target), recs in runs.items():
        verdict = cd_verdict(recs)
        parts.append(f"<h3>{escape(model)} · {escape(task)} · {escape(source)} → {escape(target)}</h3>"
                     f"<p>{verdict_badge(verdict.label)} {escape(verdict.reason)}</p>")
        rows = []
        for stratum in (None, *STRATA):
            rec = {r.metric: r for r in recs if r.stratum == (stratum and f"overlap={stratum}")}
            if "xrr" in rec:
                rows.append("<tr><td class=\"l\">" + escape(stratum or "all") + "</td>"
                            + "".join(f"<td>{escape(_cell(rec.get(m)))}</td>" for m in CD) + "</tr>")
        head = "".join(f"<th>{escape(m)}</th>" for m in CD)
        parts.append(f'<table class="sortable"><thead><tr><th class="l">stratum</th>{head}</tr></thead>'
                     f"<tbody>{''.join(rows)}</tbody></table>")
        overall = {r.metric: r for r in recs if r.stratum is None}
        gate = "".join(f"<li>{escape(m)}: {escape(_cell(overall.get(m)))}</li>" for m in (*GATE_PARTS, *DIAG)
                       if m in overall)
        parts.append(f"<ul>{gate}</ul>")
        parts.append((curves or {}).get((model, source, target), ""))
    parts.append("</section>")
    return "".join(parts)
