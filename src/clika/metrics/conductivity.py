"""Conductivity (CD) metrics from per-fact correctness, with the project's one resampler.

After fine-tuning on fictional facts (docs/metrics.md, CD), per target language l and source
language S (English unless a run says otherwise):

- the mastery gate: accuracy on S type 0 and type 1, l type 0, and the name tests of every
  taught direction (held-out prompt; a copied source name is wrong), each >= the gate;
- when it holds: xrr = acc_l(type 1) / acc_S(type 1), xrr_ctrl = acc_l(type 1) / acc_l(type 0)
  and the paired transfer rate cd_transfer = P(correct in l | correct in S) over type-1 facts
  (ECLeKTic / LiveCLKTBench style);
- the controls, asked at no extra training cost: xrr_en_subject (the l question with the S
  subject, either name of the answer accepted: the POSITIVE control, is the fact reachable through
  the foreign frame at all?) and xrr_en_answer (the l question, the S answer accepted too: did
  it transfer but come out in S?); control_gap = xrr_en_subject - xrr, paired;
- diagnostics: multi_answer (l type-1 answers naming two or more continents: wrong), name_copy_rate
  (gate name answers that copy the source name), name_untaught (the direction not taught).

Every value has a percentile interval (type-1 facts resampled jointly across every question of
the fact, type-0 facts and name tests on their own); acc_l_type1 and acc_en_subject carry a
one-sided exact binomial p-value against chance (1/continents). Per subject-overlap stratum
(clika.fictional.overlap) the CD values are reported again. ``cd_verdict`` reads a run's records
into one of: at chance, weak, high, inconclusive, not measured.

XRR here is clika's reconstruction of the paper's metric from its description and data (the
paper gives no code for it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from clika.metrics.bootstrap import N_BOOT, resampled_counts
from clika.metrics.core import ratio
from clika.metrics.estimate import Estimate, Keyed, to_records
from clika.metrics.records import Record
from clika.metrics.registry import MetricDef, register_metric, registered

TASK = "fictional"
GATE_PARTS = ("gate_en_type0", "gate_en_type1", "gate_l_type0", "gate_translation")
CD_METRICS = ("acc_l_type1", "xrr", "xrr_ctrl", "cd_transfer", "acc_en_subject", "xrr_en_subject", "xrr_en_answer",
              "control_gap")
DIAGNOSTICS = ("name_copy_rate", "name_untaught", "multi_answer")
_PART_WORDS = {"gate_en_type0": "{src} type 0", "gate_en_type1": "{src} type 1",
               "gate_l_type0": "{lang} type 0", "gate_translation": "name translation (taught directions)"}
STRATA = ("identical", "cognate", "none")
MASTERY_GATE = 0.9  # every gate part must reach this accuracy before XRR is measured (the paper's threshold)
ALPHA = 0.05  # one-sided level of the tests against chance
SUBSTANTIAL = 0.1  # a difference of XRR smaller than this is not a difference that matters (docs/metrics.md)


@dataclass
class FactOutcomes:
    """Correctness after training, aligned by fact: type-1 arrays share one order, type-0 another.

    Name-test arrays (names*) follow the split's tests of the taught directions; names_untaught
    the other direction's."""

    target: str
    en_type0: np.ndarray  # the source language's questions ("en" = the source, English by default)
    en_type1: np.ndarray
    l_type0: np.ndarray
    l_type1: np.ndarray
    names: np.ndarray
    l_type1_any: np.ndarray | None = None  # source-language answer accepted too
    ctrl_type1: np.ndarray | None = None  # the en_subject control, either answer form accepted
    multi_type1: np.ndarray | None = None  # the l answer named two or more continents
    names_copy: np.ndarray | None = None
    names_direction: np.ndarray | None = None  # "to-en" / "from-en" per taught name test
    names_untaught: np.ndarray | None = None
    strata_type1: np.ndarray | None = None  # subject-overlap stratum of each type-1 fact
    strata_type0: np.ndarray | None = None
    n_continents: int | None = None  # chance level of a fact question = 1 / n_continents
    source: str = "en"
    fact_ids: tuple[str, ...] = field(default=())  # type-1 fact ids, in order (pairing across models)

    def __post_init__(self):
        n1 = len(self.en_type1)
        for name in ("l_type1_any", "ctrl_type1", "multi_type1"):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros(n1, bool) if name != "l_type1_any" else np.asarray(self.l_type1))
        if self.names_copy is None:
            self.names_copy = np.zeros(len(self.names), bool)
        if self.names_untaught is None:
            self.names_untaught = np.zeros(0, bool)

    @property
    def chance(self) -> float | None:
        return 1.0 / self.n_continents if self.n_continents else None

    def to_dict(self) -> dict:
        """JSON-ready (outcomes.json of a conduct run: what analysis pairs across models)."""
        return {f.name: (getattr(self, f.name).tolist() if isinstance(getattr(self, f.name), np.ndarray)
                         else getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict) -> FactOutcomes:
        arrays = {name: np.asarray(data[name], dtype=object if name in ("names_direction", "strata_type1",
                                                                          "strata_type0") else bool)
                  for name in data if isinstance(data[name], list) and name != "fact_ids"}
        rest = {name: value for name, value in data.items() if name not in arrays}
        return cls(**arrays, **{**rest, "fact_ids": tuple(data.get("fact_ids", ()))})


def pool(runs: list[FactOutcomes]) -> FactOutcomes:
    """Several fact sets (e.g. seeds) of one target as one: their facts side by side, so the
    fact-level bootstrap resamples them together. Chance must agree."""
    first = runs[0]
    if len({r.n_continents for r in runs}) > 1 or len({(r.target, r.source) for r in runs}) > 1:
        raise ValueError("pooled runs must share target, source and the number of continents")
    out = {}
    for f in fields(FactOutcomes):
        values = [getattr(r, f.name) for r in runs]
        if isinstance(values[0], np.ndarray):
            out[f.name] = np.concatenate(values)
        elif f.name == "fact_ids":
            out[f.name] = tuple(x for v in values for x in v)
        elif values[0] is None:
            out[f.name] = None
        else:
            out[f.name] = getattr(first, f.name)
    return FactOutcomes(**out)


def _samples(columns: list[np.ndarray], n_boot: int, seed: int, key: str) -> np.ndarray:
    """[1 + B, M] counts of 0/1 columns over the same facts: row 0 point, then resamples."""
    n = len(columns[0])
    if n == 0:
        return np.zeros((1 + n_boot, len(columns)))
    f = np.stack([np.asarray(c, dtype=bool) for c in columns], axis=1)
    point = f.sum(axis=0, dtype=np.float64)[None, :]
    return np.vstack([point, resampled_counts(f, n_boot, seed, key)]) if n_boot else point


def binomial_p(successes: int, n: int, chance: float | None) -> float | None:
    """One-sided exact binomial p-value of ``successes`` of ``n`` against ``chance`` (greater)."""
    if not n or not chance:
        return None
    from scipy.stats import binomtest

    return float(binomtest(int(successes), int(n), chance, alternative="greater").pvalue)


def detectable_accuracy(n: int, chance: float | None, alpha: float = ALPHA, power: float = 0.8) -> float | None:
    """The smallest accuracy the one-sided binomial test against chance detects with ``power``
    on ``n`` facts: what "at chance" can rule out at this size."""
    if not n or not chance:
        return None
    from scipy.stats import binom

    critical = int(binom.isf(alpha, n, chance)) + 1  # smallest count with P(X >= count | chance) <= alpha
    grid = np.linspace(chance, 1.0, 2001)
    reach = binom.sf(critical - 1, n, grid) >= power
    return float(grid[np.argmax(reach)]) if reach.any() else None


@dataclass(frozen=True)
class CDCounts:
    """Counts over type-1 facts (n1 of them; right in the source language, in l, in both, in l with
    either answer form, with the source subject) and type-0 facts, each [1 + B]: row 0 point."""

    n1: np.ndarray
    en1: np.ndarray
    l1: np.ndarray
    en1_l1: np.ndarray
    l1_any: np.ndarray
    ctrl: np.ndarray
    n0: np.ndarray
    l0: np.ndarray


def cd_counts(o: FactOutcomes, n_boot: int, seed: int, key: str, m1=None, m0=None) -> CDCounts:
    """The counts over the facts selected by masks m1 (type 1) and m0 (type 0), default all.

    The resample is drawn over all facts and the masks applied inside it, so a stratum's values
    are paired with the overall ones (a stratum holding every fact gets the overall interval) and
    the number of stratum facts varies between resamples, as it would between fact sets."""
    en1, l1, l0, lany, ctrl = (np.asarray(x, dtype=bool) for x in (o.en_type1, o.l_type1, o.l_type0,
                                                                   o.l_type1_any, o.ctrl_type1))
    m1 = np.ones(len(en1), bool) if m1 is None else np.asarray(m1, dtype=bool)
    m0 = np.ones(len(l0), bool) if m0 is None else np.asarray(m0, dtype=bool)
    t1 = _samples([m1, en1 & m1, l1 & m1, en1 & l1 & m1, lany & m1, ctrl & m1], n_boot, seed, key + "/type1")
    t0 = _samples([m0, l0 & m0], n_boot, seed, key + "/type0")
    return CDCounts(*(t1[:, j] for j in range(6)), t0[:, 0], t0[:, 1])


def cd_values(o: FactOutcomes, n_boot: int, seed: int, key: str, m1=None, m0=None) -> dict[str, tuple]:
    """metric -> (samples [1 + B], n, successes or None) of every registered "cd" metric."""
    counts = cd_counts(o, n_boot, seed, key, m1, m0)
    return {d.name: d.fn(counts) for d in metrics_of("cd")}


def _rate(x: np.ndarray, n_boot: int, seed: int, key: str) -> np.ndarray:
    x = np.asarray(x, dtype=bool)
    if not len(x):
        return np.full(1 + n_boot, np.nan)
    return ratio(_samples([x], n_boot, seed, key)[:, 0], len(x))


_UNDEFINED = {"xrr": "acc_{src}(type 1) is 0", "xrr_ctrl": "acc_{lang}(type 0) is 0",
              "cd_transfer": "no type-1 fact is answered correctly in {src}", "xrr_en_subject": "acc_{src}(type 1) is 0",
              "xrr_en_answer": "acc_{src}(type 1) is 0", "control_gap": "acc_{src}(type 1) is 0"}
_ACCURACIES = ("acc_l_type1", "acc_en_subject")  # reported even when the gate fails, for diagnosis
_CHANCE_OF = ("acc_l_type1", "acc_en_subject", "xrr", "xrr_en_subject", "xrr_en_answer", "cd_transfer",
              "gate_en_type0", "gate_en_type1", "gate_l_type0")


def conductivity_estimates(o: FactOutcomes, *, task: str = TASK, gate: float = MASTERY_GATE,
                           gate_untaught: bool = False, n_boot: int = N_BOOT, seed: int = 0) -> list[Keyed]:
    """Every registered conductivity metric of one run as Keyed estimates: the "cd_rate" ones (gate
    parts, per name direction too, and the diagnostics), then the "cd" ones overall and per
    subject-overlap stratum (undefined, flagged gate_failed, when the gate fails: XRR is then not
    measured)."""
    lang, src, key = o.target, o.source, f"{task}/{o.target}"
    out, failed = [], []
    for d in metrics_of("cd_rate"):
        x = d.fn(o, gate_untaught)
        chance = o.chance if d.name in _CHANCE_OF else None
        note = None
        if d.name in GATE_PARTS:
            acc = float(np.mean(x)) if len(x) else float("nan")
            what = _PART_WORDS[d.name].format(lang=lang, src=src)
            passed = len(x) > 0 and acc >= gate
            if not passed:
                failed.append(f"{what} {acc:.2f} < {gate:.2f}" if len(x) else f"{what}: no test items")
            note = f"{what}: {'passes' if passed else 'fails'} the mastery gate {gate:.2f}"
        elif not len(x):
            note = "no untaught direction: both were taught" if d.name == "name_untaught" else "no items"
        out.append(Keyed(d.name, Estimate(_rate(x, n_boot, seed, f"{key}/{d.name}"), len(x), chance, note), lang, src))
        if d.name == "gate_translation" and o.names_direction is not None and len(set(o.names_direction)) > 1:
            for direction in sorted(set(o.names_direction.tolist())):
                sub = o.names[o.names_direction == direction]
                out.append(Keyed(d.name, Estimate(_rate(sub, n_boot, seed, f"{key}/{d.name}/direction={direction}"),
                                                  len(sub)), lang, src, stratum=f"direction={direction}"))
    gate_note = None if not failed else "not measured: the mastery gate failed (" + "; ".join(failed) + ")"
    groups: list[tuple[str | None, np.ndarray, np.ndarray]] = [(None, np.ones(len(o.l_type1), bool),
                                                                np.ones(len(o.l_type0), bool))]
    if o.strata_type1 is not None:
        for s in STRATA:
            mask0 = o.strata_type0 == s if o.strata_type0 is not None else np.zeros(len(o.l_type0), bool)
            groups.append((s, o.strata_type1 == s, mask0))
    for stratum, m1, m0 in groups:
        if stratum is not None and not m1.any():
            continue
        label = None if stratum is None else f"overlap={stratum}"
        for metric, (samples, n, hits) in cd_values(o, n_boot, seed, key, m1, m0).items():
            chance = o.chance if metric in _CHANCE_OF else None
            if metric in _ACCURACIES:
                est = Estimate(samples, n, chance, gate_note and "gate failed; reported for diagnosis only",
                               binomial_p(hits, n, o.chance))
            elif gate_note:
                est = Estimate(np.full(len(samples), np.nan), n, None, gate_note, flags=("gate_failed",))
            else:
                why = None if not np.isnan(samples[0]) else "undefined: " + _UNDEFINED[metric].format(lang=lang, src=src)
                est = Estimate(samples, n, chance, why)
            out.append(Keyed(metric, est, lang, src, stratum=label))
    return out


def conductivity_records(o: FactOutcomes, model: str, *, task: str = TASK, gate: float = MASTERY_GATE,
                         gate_untaught: bool = False, n_boot: int = N_BOOT, seed: int = 0,
                         resamples: dict | None = None) -> list[Record]:
    """The records of conductivity_estimates (through the one estimate -> record step)."""
    keyed = conductivity_estimates(o, task=task, gate=gate, gate_untaught=gate_untaught, n_boot=n_boot, seed=seed)
    return to_records(model, task, keyed, resamples)


def gate_passes(o: FactOutcomes, gate: float, gate_untaught: bool = False) -> bool:
    """The mastery gate: every part (source types 0 and 1, target type 0, taught name tests) >= ``gate``."""
    names = np.concatenate([o.names, o.names_untaught]) if gate_untaught else o.names
    parts = (o.en_type0, o.en_type1, o.l_type0, names)
    return all(len(x) > 0 and float(np.mean(x)) >= gate for x in parts)


def gate_failure(records) -> str | None:
    """The note of a failed gate, in words, or None when xrr was measured."""
    for r in records:
        if r.metric == "xrr" and r.stratum is None and "gate_failed" in r.flags:
            return r.note
    return None


@dataclass(frozen=True)
class CDVerdict:
    label: str  # "at chance" | "weak" | "high" | "inconclusive" | "not measured"
    reason: str


def cd_verdict(records) -> CDVerdict:
    """One run's conductivity in words, from its overall records (the rule of docs/metrics.md):

    - not measured: the mastery gate failed, or nothing was scored (xrr has no value: its note says why,
      e.g. upstream data that contradicts its tests);
    - inconclusive: the positive control (acc_en_subject) is not above chance (one-sided binomial,
      ALPHA), so this pipeline cannot show retrieval through the foreign frame at all; or the
      control gap's interval neither excludes 0 nor stays below SUBSTANTIAL (too few facts);
    - at chance: the control is above chance, acc_l_type1 is not, and XRR lies below the control
      (control_gap's interval above 0);
    - weak: acc_l_type1 is above chance, and XRR lies below the control;
    - high: the control gap's interval lies below SUBSTANTIAL (XRR about as high as the control)."""
    rec = {r.metric: r for r in records if r.stratum is None}
    failure = gate_failure(records)
    xrr = rec.get("xrr")
    if failure or xrr is None or xrr.value is None:
        return CDVerdict("not measured", failure or (xrr.note if xrr is not None and xrr.note else "no xrr value"))
    ctrl, acc, gap = rec.get("acc_en_subject"), rec.get("acc_l_type1"), rec.get("control_gap")
    if ctrl is None or ctrl.p_value is None or ctrl.p_value >= ALPHA:
        p = "n/a" if ctrl is None or ctrl.p_value is None else f"{ctrl.p_value:.3g}"
        return CDVerdict("inconclusive", f"the positive control is not above chance (p = {p}): this run cannot "
                                         "show retrieval through the target language's frame at all")
    above = acc is not None and acc.p_value is not None and acc.p_value < ALPHA
    if gap is not None and gap.ci_low is not None and gap.ci_low > 0:
        return CDVerdict("weak" if above else "at chance",
                         f"{'above' if above else 'not above'} chance (p = {acc.p_value:.3g}) and below the positive "
                         f"control (gap {gap.value:.2f} [{gap.ci_low:.2f}, {gap.ci_high:.2f}])")
    if gap is not None and gap.ci_high is not None and gap.ci_high < SUBSTANTIAL:
        return CDVerdict("high", f"XRR about as high as the positive control (gap {gap.value:.2f} "
                                 f"[{gap.ci_low:.2f}, {gap.ci_high:.2f}] < {SUBSTANTIAL})")
    return CDVerdict("inconclusive", "too few facts to separate XRR from the positive control")


def metrics_of(scope: str) -> list[MetricDef]:
    return [d for d in registered() if d.scope == scope]


def _acc(num: str):
    return lambda c: (ratio(getattr(c, num), c.n1), int(c.n1[0]), int(getattr(c, num)[0]))


def _over_en(num: str):
    return lambda c: (ratio(ratio(getattr(c, num), c.n1), ratio(c.en1, c.n1)), int(c.n1[0]), None)


def _gap(c: CDCounts):
    xrr_subject, xrr = (ratio(ratio(x, c.n1), ratio(c.en1, c.n1)) for x in (c.ctrl, c.l1))
    return xrr_subject - xrr, int(c.n1[0]), None


def _names(o: FactOutcomes, gate_untaught: bool) -> np.ndarray:
    return np.concatenate([o.names, o.names_untaught]) if gate_untaught else o.names


_CHANCE = "1/(number of continents) by guessing"
for _order, (_name, _label, _scope, _fn, _desc, _chance) in enumerate((
    ("gate_en_type0", "gate: en type 0", "cd_rate", lambda o, _: o.en_type0, "after training, accuracy on "
     "source-language (English) questions of type-0 facts", _CHANCE),
    ("gate_en_type1", "gate: en type 1", "cd_rate", lambda o, _: o.en_type1, "after training, accuracy on "
     "source-language questions of type-1 facts", _CHANCE),
    ("gate_l_type0", "gate: l type 0", "cd_rate", lambda o, _: o.l_type0, "after training, accuracy on "
     "target-language questions of type-0 facts", _CHANCE),
    ("gate_translation", "gate: names", "cd_rate", _names, "name tests of every taught direction (with "
     "--translation-test reverse the untaught one too), asked with a held-out prompt written in the name's own "
     "language; an answer that copies the source name is wrong", "near 0: a name is not guessed"),
    ("name_copy_rate", "name copy rate", "cd_rate", lambda o, _: o.names_copy, "share of the gate's name answers "
     "that copy the name they were asked to translate (wrong)", "not a rate against chance"),
    ("name_untaught", "names untaught", "cd_rate", lambda o, _: o.names_untaught, "name tests of the direction not "
     "taught (a diagnostic; the reversal curse predicts it fails)", "near 0"),
    ("multi_answer", "multi-answer", "cd_rate", lambda o, _: o.multi_type1, "share of target-language type-1 answers "
     "that name two or more continents (scored wrong)", "not a rate against chance"),
    ("acc_l_type1", "acc l type 1", "cd", _acc("l1"), "accuracy on target-language questions of facts taught in "
     "the source language only; p_value: one-sided exact binomial test against chance", _CHANCE),
    ("xrr", "XRR", "cd", _over_en("l1"), "cross-lingual retrieval ratio acc_l(type 1) / acc_en(type 1): clika's "
     "reconstruction of the paper's metric; not measured when the mastery gate fails",
     "1/(number of continents) when English is perfect and l is guessed"),
    ("xrr_ctrl", "XRR ctrl", "cd", lambda c: (ratio(ratio(c.l1, c.n1), ratio(c.l0, c.n0)), int(c.n1[0]), None),
     "acc_l(type 1) / acc_l(type 0): retrieval of English-only facts relative to facts also taught in l",
     "about 1/(number of continents) when type 1 is guessed and type 0 learnt"),
    ("cd_transfer", "CD transfer", "cd", lambda c: (ratio(c.en1_l1, c.en1), int(c.en1[0]), None), "paired transfer "
     "rate: among type-1 facts answered correctly in English, the share also answered correctly in l (ECLeKTic / "
     "LiveCLKTBench style)", "1/(number of continents) by guessing in l"),
    ("acc_en_subject", "acc en subject", "cd", _acc("ctrl"), "the positive control's accuracy: type-1 facts asked "
     "in l's frame with the English subject, either name of the continent accepted; p_value: one-sided binomial "
     "test against chance", _CHANCE),
    ("xrr_en_subject", "XRR en subject", "cd", _over_en("ctrl"), "positive control: acc(l frame, English subject) / "
     "acc_en(type 1); a run whose control is at chance cannot show conductivity either way (inconclusive)",
     _CHANCE + ", over acc_en"),
    ("xrr_en_answer", "XRR en answer", "cd", _over_en("l1_any"), "acc_l(type 1) accepting the English name of the "
     "continent too, / acc_en(type 1): transferred but answered in English", _CHANCE + ", over acc_en"),
    ("control_gap", "control gap", "cd", _gap, "xrr_en_subject - xrr, paired over facts: what translating the "
     "subject loses", "0 when both are guessed"),
    ("epochs_trained", "epochs", "run", lambda stats: float(stats["epochs_run"]), "training epochs run (with "
     "--until-gate: until the mastery gate held, or the maximum)", "not a rate"),
)):
    _direction = "lower" if _name in ("name_copy_rate", "multi_answer", "control_gap") else \
        "none" if _name == "epochs_trained" else "higher"
    register_metric(MetricDef(_name, _label, "CD", _scope, _desc, _chance, _direction, _fn, order=300 + _order,
                              headline=_name == "xrr"))
