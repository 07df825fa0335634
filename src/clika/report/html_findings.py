"""The HTML report's Findings section: headings, verdict badges and tables, rendered from the same
Finding / CDFinding objects that findings.md is written from (their ``table()`` gives both the cells)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from clika.metrics.cd import VERDICTS as CD_VERDICTS

LEFT = ' class="l"'
VERDICTS = ("supported", "partly supported", "not supported", "not testable", "inconclusive", *CD_VERDICTS)
INTRO = ("Which testable claims of Gao et al. (2024) the data supports. Each claim has a verdict, the rule that "
         "decides it, and the evidence it rests on: pooled means with 95% bootstrap intervals. findings.md of the "
         "<code>clika compare</code> folder holds the same findings.")


def verdict_badge(verdict: str) -> str:
    kind = verdict.split(" (")[0].replace(" ", "-") if verdict in VERDICTS else "other"  # "inconclusive (...)"
    return f'<span class="verdict v-{kind}" title="verdict">{escape(verdict)}</span>'


def _table(finding) -> str:
    columns, rows, notes = finding.table()
    if not rows:
        return '<p class="muted">No evidence: the data holds nothing this claim could be pooled from.</p>'

    def cells(tag: str, texts) -> str:  # the first column (the evidence's label) is left-aligned
        return "".join(f"<{tag}{LEFT if i == 0 else ''}>{escape(t)}</{tag}>" for i, t in enumerate(texts))

    head = cells("th", columns)
    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in rows)
    out = f'<table class="findings"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    return out + "".join(f'<p class="muted">{escape(n)}</p>' for n in notes)


def _finding(finding, level: int, end: str = "") -> str:
    return (f'<article class="finding" id="finding-{escape(finding.key)}">'
            f"<h{level}>{escape(finding.claim)}</h{level}>"
            f"<p>{verdict_badge(finding.verdict)} {escape(finding.summary)}{end}</p>"
            f'<p class="muted">Rule: {escape(finding.rule)}.</p>{_table(finding)}</article>')


def findings_section(findings: Sequence = (), cd_findings: Sequence = (), note: str | None = None) -> str:
    """Finding and CDFinding objects; note: shown instead when there are none (e.g. an older `clika compare`)."""
    out = ['<h2 id="findings">Findings</h2>', f'<p class="muted">{INTRO}</p>']
    if note and not findings and not cd_findings:
        return "\n".join(out + [f"<p>{escape(note)}</p>"])
    out += [_finding(f, 3) for f in findings]
    if cd_findings:
        out.append('<h3 id="findings-cd">Conductivity (CD), from <code>clika conduct</code> results</h3>')
        out += [_finding(f, 4, ".") for f in cd_findings]
    return "\n".join(out)
