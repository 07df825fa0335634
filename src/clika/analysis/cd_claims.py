"""CD across models: the paper's conductivity claims, tested on whatever `clika conduct` results exist.

A conduct output folder holds the records of every model and target (metrics.jsonl, pooled over seeds) and per run
the per-fact outcomes (outcomes.json). A run's verdict comes from its records (clika.metrics.cd.cd_verdict).
Differences between models need the facts paired: they come from the outcomes, resampled with the metrics core's
resampler, so runs on the same fictional facts draw the same facts in every resample.

Claims (Gao et al. 2024: "neither multilingual pretraining nor instruction tuning substantially improves
cross-lingual knowledge conductivity"), each judged by the rule its finding states: cd_low (every measured run's
verdict) and cd_not_improved (a mixed-multilingual model does not conduct substantially better than an
English-dominant one, nor an instruction-tuned model than its base: paired XRR differences against the gain that
matters; an interval that merely touches zero is not evidence of no gain). The gain that matters is relative to what
could be gained: GAIN_SHARE of the compared runs' room (positive control's XRR minus chance), at most SUBSTANTIAL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clika.analysis.families import FamilyRegistry
from clika.analysis.findings import Claim, Evidence
from clika.analysis.strategy import pooled_record
from clika.errors import DataError
from clika.formatting import format_interval, format_number
from clika.metrics import cd
from clika.metrics.bootstrap import N_BOOT
from clika.metrics.cd import FactOutcomes, cd_values, cd_verdict, pool
from clika.metrics.estimate import Estimate
from clika.metrics.record_io import read_records
from clika.metrics.records import Record, task_label

GAIN_SHARE = 0.25  # a gain that matters: this share of the room between chance and the positive control


@dataclass
class CDRun:
    model: str
    target: str
    source: str
    task: str
    records: list[Record]  # overall and per stratum, pooled over seeds
    outcomes: FactOutcomes | None  # pooled per-fact outcomes (None when no finished run is found)
    verdict: str
    reason: str
    below_control: bool | None = None  # the verdict's like-for-like gap lies above 0
    condition: str | None = None  # the protocol condition (None: the paper's); runs of two conditions never pair

    @property
    def label(self) -> str:
        return task_label(self.task, self.condition)

    @property
    def low(self) -> bool:
        """Low conductivity by the verdict: no transfer, weak, or chance-or-weak below the control."""
        below = self.verdict == cd.CHANCE_OR_WEAK and bool(self.below_control)
        return self.verdict in (cd.NO_TRANSFER, cd.WEAK) or below

    def overall(self, metric: str) -> Record | None:
        """The run's record of ``metric`` over all its facts (no stratum)."""
        return {r.metric: r for r in self.records if r.stratum is None}.get(metric)

    def room(self) -> float | None:
        """The positive control's XRR above chance (strict where recorded): what could be gained."""
        ctrl = self.overall("xrr_en_subject_strict")
        ctrl = ctrl if ctrl is not None and ctrl.value is not None else self.overall("xrr_en_subject")
        if ctrl is None or ctrl.value is None or ctrl.chance is None:
            return None
        return ctrl.value - ctrl.chance


def _run_outcomes(run_dir: Path) -> tuple[tuple[str, str], FactOutcomes] | None:
    """A finished run's (model, target) and per-fact outcomes (outcomes.json), fact ids prefixed by seed."""
    path = run_dir / "outcomes.json"
    if not path.is_file():
        return None
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    outcomes = FactOutcomes.from_dict(json.loads(path.read_text(encoding="utf-8")))
    outcomes.fact_ids = tuple(f"s{manifest.get('seed', 0)}:{f}" for f in outcomes.fact_ids)
    return (manifest["model"]["name"], manifest["target"]), outcomes


def load_runs(folders: list[Path], margin: float = cd.MARGIN) -> tuple[list[CDRun], list[str]]:
    """Every model and target of the given `clika conduct` output folders, with its records, its pooled per-fact
    outcomes and its verdict (cd_verdict with ``margin``)."""
    runs, notes = [], []
    for folder in map(Path, folders):
        if not (folder / "metrics.jsonl").is_file():
            raise DataError("not a `clika conduct` output folder (no metrics.jsonl)", folder)
        records = read_records(folder / "metrics.jsonl")
        outcomes: dict[tuple, list[FactOutcomes]] = {}
        for manifest_path in sorted(folder.glob("*/*/seed*/manifest.json")):
            if (got := _run_outcomes(manifest_path.parent)) is None:
                notes.append(f"{manifest_path.parent}: unfinished run left out")
            else:
                outcomes.setdefault(got[0], []).append(got[1])
        xrr = {(r.model, r.lang, r.lang_ref or "en", r.task, r.condition) for r in records if r.metric == "xrr"}
        keys = sorted(xrr, key=lambda k: (*k[:4], k[4] or ""))
        # a folder written before conduct kept earlier targets
        for model, target in sorted(set(outcomes) - {key[:2] for key in keys}):
            notes.append(f"{folder}: {model} -> {target} has finished runs but no records in metrics.jsonl: left "
                         f"out; rerun `clika conduct` for it into this folder to score them (no retraining)")
        for model, target, source, task, condition in keys:
            mine = [r for r in records if (r.model, r.lang, r.task, r.condition) == (model, target, task, condition)]
            judged, found = cd_verdict(mine, margin), outcomes.get((model, target))
            runs.append(CDRun(model, target, source, task, mine, pool(found) if found else None, judged.label,
                              judged.reason, judged.below_control, condition))
    return runs, notes


CD_EVIDENCE_COLUMNS = ("evidence", "value", "95% CI", "p vs. 0", "n facts", "reading")


@dataclass
class CDFinding(Claim):
    """verdict: supported | not supported | inconclusive | not testable; an evidence's reading: its own verdict."""

    def table(self) -> tuple[tuple[str, ...], list[tuple[str, ...]], list[str]]:
        """The evidence table as findings.md and the HTML report print it: columns, rows of cells, footnotes."""
        rows = [(e.label, format_number(e.record.value), format_interval(e.record.ci_low, e.record.ci_high, ".3f"),
                 format_number(e.record.p_value, ".3g"), str(e.record.n), e.reading) for e in self.evidence]
        return CD_EVIDENCE_COLUMNS, rows, []


def _group_delta(a: list[CDRun], b: list[CDRun], n_boot: int, seed: int) -> tuple[np.ndarray, list[CDRun]] | None:
    """Mean over shared targets of XRR(b) - XRR(a), resample by resample, over the same facts, and the runs paired;
    None without a paired target."""
    diffs, paired = [], []
    for rb in b:
        for ra in a:
            same = (ra.target, ra.source, ra.task, ra.condition) == (rb.target, rb.source, rb.task, rb.condition)
            both = ra.outcomes is not None and rb.outcomes is not None
            if same and both and ra.outcomes.fact_ids == rb.outcomes.fact_ids:
                key = f"{ra.label}/{ra.target}"  # the draws of conductivity_estimates
                xa, xb = (cd_values(r.outcomes, n_boot, seed, key)["xrr"][0] for r in (ra, rb))
                diffs.append(xb - xa)
                paired += [ra, rb]
    if not diffs:
        return None
    with np.errstate(invalid="ignore"):
        return np.mean(np.stack(diffs), axis=0), paired


def gain_margin(runs: list[CDRun]) -> float | None:
    """The gain that matters for a comparison of these runs: GAIN_SHARE of their mean room, at most SUBSTANTIAL; None
    when a room is unknown or not positive."""
    rooms = [r.room() for r in runs]
    if not rooms or any(x is None or x <= 0 for x in rooms):
        return None
    return min(cd.SUBSTANTIAL, GAIN_SHARE * float(np.mean(rooms)))


def _claim_verdict(readings: list, against: bool, supported: bool) -> str:
    if not readings:
        return "not testable"
    return "not supported" if against else "supported" if supported else "inconclusive"


def _low_finding(runs: list[CDRun]) -> CDFinding:
    measured = [r for r in runs if r.verdict != cd.NOT_MEASURED]
    evidence = []
    for r in runs:
        x = r.overall("xrr") or Record(model=r.model, task=r.task, condition=r.condition, metric="xrr", lang=r.target,
                                       lang_ref=r.source)
        evidence.append(Evidence(f"XRR {r.model} -> {r.target} ({r.label}): {r.reason}", x, False, r.verdict))
    labels = [r.verdict for r in measured]
    verdict = _claim_verdict(labels, cd.HIGH in labels, all(r.low for r in measured))
    counts = ", ".join(f"{labels.count(v)} {v}" for v in cd.VERDICTS if v in labels)
    unmeasured = [f"{r.model} -> {r.target}" for r in runs if r.verdict == cd.NOT_MEASURED]
    tail = f"; gate failed (not measured): {', '.join(unmeasured)}" if unmeasured else ""
    return CDFinding(
        "cd_low", "Cross-lingual knowledge conductivity is low for every model.", verdict,
        f"{len(measured)} measured runs: {counts or 'none'}{tail}",
        "each measured run's verdict (docs/metrics.md), its margin stated in its reason: low = 'no transfer "
        "detected' (acc_l_type1 not above chance and its exact 95% upper bound below chance + margin), 'weak' "
        "(above chance, XRR below the positive control) or 'inconclusive (chance or weak)' with XRR below the "
        "control; 'high' = XRR about as high as the control; any other verdict (a control at chance, too few "
        "facts) leaves the claim inconclusive", evidence)


def _comparisons(measured: list[CDRun], registry: FamilyRegistry) -> list[tuple[str, list[CDRun], list[CDRun]]]:
    """(label, runs A, runs B) of the comparisons B minus A: mixed multilingual minus English-dominant, and each
    instruction-tuned model minus its own base, where both were run."""

    def of_mix(kind: str) -> list[CDRun]:
        return [r for r in measured if registry.pretraining_of(r.model) == kind]

    mixed, english = of_mix("mixed_multilingual"), of_mix("english_dominant")
    label = "mixed multilingual minus English-dominant pretraining"
    comparisons = [(label, english, mixed)] if mixed and english else []
    for r in measured:
        e = registry.get(r.model)
        if e and e.base and e.strategy.startswith("instruction_tuning"):
            if base := [x for x in measured if registry.resolve(x.model) == e.base]:
                comparisons.append((f"{r.model} minus its base {e.base} ({e.strategy})", base, [r]))
    return comparisons


def _gain_reading(record: Record, margin: float | None, paired: list[CDRun]) -> str:
    lo, hi = record.ci_low, record.ci_high
    if margin is None or any(r.verdict == cd.CONTROL_AT_CHANCE for r in paired) or lo is None:
        return "inconclusive"
    return "no substantial gain" if hi < margin else "substantial gain" if lo > margin else "inconclusive"


def _models(runs: list[CDRun]) -> str:
    return " + ".join(sorted({r.model for r in runs}))


def _gain_finding(runs: list[CDRun], registry: FamilyRegistry, n_boot: int, seed: int) -> CDFinding:
    evidence, labels = [], []
    for label, a, b in _comparisons([r for r in runs if r.verdict != cd.NOT_MEASURED], registry):
        if (got := _group_delta(a, b, n_boot, seed)) is None:
            continue
        samples, paired = got
        n = sum(x.n for r in paired[1::2] for x in r.records if x.metric == "xrr" and x.stratum is None)  # B's facts
        estimate = Estimate(samples, n).tested_vs_zero()
        identity = dict(model=_models(b), model_ref=_models(a), task=paired[0].task)
        record = pooled_record(estimate, metric="xrr", aggregate="mean of targets", **identity)
        margin = gain_margin(paired)
        labels.append(_gain_reading(record, margin, paired))
        matters = f"a gain that matters: {margin:.3f}" if margin is not None else "no room above chance to gain"
        evidence.append(Evidence(f"XRR: {label} ({matters})", record, True, labels[-1]))
    verdict = _claim_verdict(labels, "substantial gain" in labels, all(v == "no substantial gain" for v in labels))
    summary = (f"{labels.count('no substantial gain')} of {len(labels)} comparisons exclude a gain that matters; "
               f"{labels.count('substantial gain')} show one" if labels else
               "no measured run has a registry counterpart (a model of the other pretraining mix, or the base of "
               "an instruction-tuned model) on the same facts")
    return CDFinding(
        "cd_not_improved",
        "Neither multilingual pretraining nor instruction tuning substantially improves conductivity.",
        verdict, summary,
        f"paired differences of XRR (same fictional facts, same resamples); a gain that matters is {GAIN_SHARE:g} of "
        f"what could be gained (the compared runs' positive control XRR, strict where recorded, minus chance, "
        f"averaged), at most {cd.SUBSTANTIAL}, stated per comparison: 'no substantial gain' needs the whole 95% CI "
        f"below it, 'substantial gain' the whole CI above it; a comparison with a run whose positive control is "
        f"at chance (no room to gain) is inconclusive", evidence)


def cd_findings(runs: list[CDRun], registry: FamilyRegistry, n_boot: int = N_BOOT, seed: int = 0) -> list[CDFinding]:
    return [_low_finding(runs), _gain_finding(runs, registry, n_boot, seed)]
