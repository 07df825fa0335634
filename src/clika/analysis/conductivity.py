"""CD across models: the paper's conductivity claims, tested on whatever `clika conduct` results exist.

A conduct output folder holds one run per model and target (<model>/<target>/manifest.json and
predictions.jsonl, every answer with its verdict). From the answers each run's correctness
vectors are rebuilt and its acc_l(type 1), xrr and cd_transfer resampled with the metrics core's
resampler (clika.metrics.conductivity): runs of several models on the same fictional set draw
the same facts in every resample, so their differences are paired.

Claims (Gao et al. 2024: "neither multilingual pretraining nor instruction tuning substantially
improves cross-lingual knowledge conductivity"):
- cd_low: conductivity stays far from parity for every model (each measured XRR's 95% CI lies
  below PARITY_BELOW);
- cd_not_improved: a mixed-multilingual-pretrained model does not conduct substantially better
  than an English-dominant one, nor an instruction-tuned model than its base (no difference of
  XRR has a 95% CI above SUBSTANTIAL).
A run whose mastery gate failed has no XRR: it is listed, not used, and a claim with no measured
run is "not testable".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from clika.analysis.findings import PARITY_BELOW
from clika.analysis.registry import FamilyRegistry
from clika.data.lines import read_json_lines
from clika.errors import DataError
from clika.metrics.bootstrap import N_BOOT, p_value_vs_zero, percentile_ci
from clika.metrics.conductivity import FactOutcomes, cd_values, gate_passes

SUBSTANTIAL = 0.1


@dataclass
class CDRun:
    model: str
    target: str
    task: str
    outcomes: FactOutcomes
    gate_passed: bool
    samples: dict[str, np.ndarray]  # metric -> [1 + B] (point, resamples)
    fact_ids: tuple[str, ...]  # type-1 facts, in the resampled order (pairing needs equal ids)
    path: Path


def _outcomes(rows: list[dict], target: str, n_continents: int | None) -> tuple[FactOutcomes, tuple[str, ...]]:
    q = [r for r in rows if r.get("kind") == "question"]
    ids = {t: sorted({r["fact_id"] for r in q if r["fact_type"] == t}) for t in (0, 1)}
    ok = {(r["lang"], r["fact_type"], r["fact_id"]): bool(r["correct"]) for r in q}
    strata = {r["fact_id"]: r.get("stratum") or "none" for r in q if r["lang"] == target}

    def vec(lang, t):
        return np.array([ok.get((lang, t, f), False) for f in ids[t]], dtype=bool)

    translation = np.array([bool(r["correct"]) for r in rows if r.get("kind") == "translation"], dtype=bool)
    o = FactOutcomes(target, vec("en", 0), vec("en", 1), vec(target, 0), vec(target, 1), translation,
                     np.array([strata.get(f, "none") for f in ids[1]]), np.array([strata.get(f, "none") for f in ids[0]]),
                     n_continents)
    return o, tuple(ids[1])


def load_runs(folders: list[Path], *, n_boot: int = N_BOOT, seed: int = 0) -> tuple[list[CDRun], list[str]]:
    """Every finished run under the given `clika conduct` output folders."""
    runs, notes = [], []
    for folder in folders:
        manifests = sorted(Path(folder).glob("*/*/manifest.json"))
        if not manifests:
            raise DataError("not a `clika conduct` output folder (no <model>/<target>/manifest.json)", folder)
        for path in manifests:
            run_dir = path.parent
            answers = run_dir / "predictions.jsonl"
            if not (run_dir / (answers.name + ".complete.json")).is_file():
                notes.append(f"{run_dir}: unfinished run left out")
                continue
            manifest = json.loads(path.read_text(encoding="utf-8"))
            target, model = manifest["target"], manifest["model"]["name"]
            gate = float(manifest.get("gate", 0.9))
            o, fact_ids = _outcomes([r for _, r in read_json_lines(answers)], target,
                                    manifest["data"].get("n_continents"))
            task = "fictional+remap" if "remap" in manifest["data"]["origin"] else "fictional"
            values = cd_values(o.en_type1, o.l_type1, o.l_type0, n_boot, seed, f"{task}/{target}")
            runs.append(CDRun(model, target, task, o, gate_passes(o, gate), {m: s for m, (s, _) in values.items()},
                              fact_ids, run_dir))
    return runs, notes


@dataclass
class CDEvidence:
    label: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n: int


CD_EVIDENCE_COLUMNS = ("evidence", "value", "95% CI", "p vs. 0", "n facts")


@dataclass
class CDFinding:
    key: str
    claim: str
    verdict: str
    summary: str
    rule: str
    evidence: list[CDEvidence] = field(default_factory=list)

    def table(self) -> tuple[tuple[str, ...], list[tuple[str, ...]], list[str]]:
        """The evidence table as findings.md and the HTML report print it: columns, rows of cells, footnotes."""
        from clika.formatting import format_interval, format_number

        rows = [(e.label, format_number(e.value), format_interval(e.ci_low, e.ci_high, ".3f"),
                 format_number(e.p_value, ".3g"), str(e.n)) for e in self.evidence]
        return CD_EVIDENCE_COLUMNS, rows, []

    def to_dict(self) -> dict:
        """JSON-ready data (findings.json beside findings.md); from_dict reads it back."""
        from dataclasses import asdict

        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> CDFinding:
        evidence = [CDEvidence(**e) for e in data["evidence"]]
        return cls(data["key"], data["claim"], data["verdict"], data["summary"], data["rule"], evidence)


def _ci(samples: np.ndarray) -> tuple[float | None, float | None]:
    lo, hi = percentile_ci(samples[1:])
    return (None, None) if np.isnan(lo) else (float(lo), float(hi))


def _num(x) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def _group_delta(a: list[CDRun], b: list[CDRun], metric: str) -> tuple[np.ndarray, int] | None:
    """Mean over shared targets of (b - a), resample by resample; None without a paired target."""
    diffs = []
    for rb in b:
        for ra in a:
            if ra.target == rb.target and ra.task == rb.task and ra.fact_ids == rb.fact_ids:
                diffs.append(rb.samples[metric] - ra.samples[metric])
    if not diffs:
        return None
    with np.errstate(invalid="ignore"):
        return np.mean(np.stack(diffs), axis=0), len(diffs)


def cd_findings(runs: list[CDRun], registry: FamilyRegistry) -> list[CDFinding]:
    measured = [r for r in runs if r.gate_passed]
    unmeasured = [f"{r.model} -> {r.target}" for r in runs if not r.gate_passed]
    ev, low = [], 0
    for r in measured:
        lo, hi = _ci(r.samples["xrr"])
        low += hi is not None and hi < PARITY_BELOW
        ev.append(CDEvidence(f"XRR {r.model} -> {r.target} ({r.task})", _num(r.samples["xrr"][0]), lo, hi, None,
                             len(r.fact_ids)))
    tail = f"; gate failed (not measured): {', '.join(unmeasured)}" if unmeasured else ""
    first = CDFinding(
        "cd_low", "Cross-lingual knowledge conductivity is low for every model (XRR far below 1).",
        "not testable" if not measured else ("supported" if low == len(measured) else
                                             "partly supported" if low else "not supported"),
        f"{low} of {len(measured)} measured runs have an XRR whose 95% CI lies below {PARITY_BELOW}{tail}",
        f"each measured run's XRR 95% CI (paired bootstrap over type-1 facts) lies below {PARITY_BELOW}", ev)

    def strategy(r: CDRun) -> tuple[str | None, str | None]:
        e = registry.get(r.model)
        return (e.strategy if e else None), registry.pretraining_of(r.model)

    mixed = [r for r in measured if strategy(r)[1] == "mixed_multilingual"]
    english = [r for r in measured if strategy(r)[1] == "english_dominant"]
    comparisons = []
    if mixed and english:
        comparisons.append(("mixed multilingual minus English-dominant pretraining", english, mixed))
    for r in measured:  # instruction tuning: derived minus its own base, where both were run
        e = registry.get(r.model)
        if e and e.base and e.strategy.startswith("instruction_tuning"):
            base = [x for x in measured if registry.resolve(x.model) == e.base]
            if base:
                comparisons.append((f"{r.model} minus its base {e.base} ({e.strategy})", base, [r]))
    ev2, substantial = [], 0
    for label, a, b in comparisons:
        got = _group_delta(a, b, "xrr")
        if got is None:
            continue
        samples, n = got
        lo, hi = _ci(samples)
        substantial += lo is not None and lo > SUBSTANTIAL
        ev2.append(CDEvidence(f"XRR: {label}", _num(samples[0]), lo, hi, _num(p_value_vs_zero(samples[1:])), n))
    verdict = "not testable" if not ev2 else ("supported" if substantial == 0 else "not supported")
    second = CDFinding(
        "cd_not_improved",
        "Neither multilingual pretraining nor instruction tuning substantially improves conductivity.",
        verdict, (f"{substantial} of {len(ev2)} comparisons show an XRR gain whose 95% CI lies above {SUBSTANTIAL}"
                  if ev2 else "no measured run has a registry counterpart (a model of the other pretraining mix, "
                  "or the base of an instruction-tuned model)") + tail,
        f"paired differences of XRR (same fictional facts, same resamples) between mixed-multilingual and "
        f"English-dominant models and between instruction-tuned models and their bases; 'substantial' = a 95% CI "
        f"above {SUBSTANTIAL}", ev2)
    return [first, second]


def cd_findings_markdown(findings: list[CDFinding]) -> str:
    lines = ["## Conductivity (CD), from `clika conduct` results", ""]
    for f in findings:
        columns, rows, _ = f.table()
        lines += [f"### {f.claim}", "", f"**Verdict: {f.verdict}.** {f.summary}.", "", f"Rule: {f.rule}.", "",
                  "| " + " | ".join(columns) + " |", "| --- | ---: | --- | ---: | ---: |"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)
