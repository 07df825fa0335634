"""Conductivity (CD) metrics from per-fact correctness, with the project's one resampler.

After fine-tuning on fictional facts (docs/metrics.md, CD), per target language l and source language S (English
unless a run says otherwise): the mastery gate, XRR and its relatives, the positive control (the l question with the
S subject: is the fact reachable through the foreign frame at all?) scored leniently and strictly, paired
like-for-like gaps, and diagnostics (the registered definitions at the end). Every share of items carries its exact
two-sided 95% Clopper-Pearson interval, every ratio or difference of shares a paired percentile interval (type-1 facts
resampled jointly across every question of the fact, type-0 facts on their own); the accuracies carry a one-sided
exact binomial p-value against chance (1/continents). The CD values are reported again per subject-overlap stratum
(clika.fictional.overlap). ``cd_verdict`` reads a run's records into one of VERDICTS. XRR here is clika's
reconstruction of the paper's metric from its description and data (the paper gives no code for it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from clika.metrics.bootstrap import N_BOOT
from clika.metrics.core import join_notes, ratio
from clika.metrics.estimate import Estimate, Keyed, to_records
from clika.metrics.records import Record, task_label
from clika.metrics.registry import MetricDef, register_metric, registered
from clika.metrics.seeds import count_rows

TASK = "fictional"
GATE_PARTS = ("gate_en_type0", "gate_en_type1", "gate_l_type0", "gate_translation")
_PART_WORDS = {"gate_en_type0": "{src} type 0", "gate_en_type1": "{src} type 1",
               "gate_l_type0": "{lang} type 0", "gate_translation": "name translation (taught directions)"}
STRATA = ("identical", "cognate", "none")
MASTERY_GATE = 0.9  # every gate part must reach this accuracy before XRR is measured (the paper's threshold)
ALPHA = 0.05  # one-sided level of the tests against chance
LEVEL = 0.95  # two-sided level of the exact intervals
POWER = 0.8  # the power at which a run's detectable accuracy is stated
SUBSTANTIAL = 0.1  # a difference of XRR smaller than this is not a difference that matters (docs/metrics.md)
MARGIN = 0.10  # "no transfer detected": acc_l_type1's exact 95% upper bound below chance + MARGIN (cd_verdict's)
VERDICTS = (NO_TRANSFER, CHANCE_OR_WEAK, WEAK, WEAK_OR_HIGH, HIGH, CONTROL_AT_CHANCE, NOT_MEASURED) = (
    "no transfer detected", "inconclusive (chance or weak)", "weak", "inconclusive (weak or high)", "high",
    "inconclusive (control at chance)", "not measured")


@dataclass
class FactOutcomes:
    """Correctness after training, aligned by fact: type-1 arrays share one order, type-0 another; names* follow the
    name tests of the taught directions, names_untaught the other direction's."""

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
    # None in outcomes.json older than the strict control and the negation rule (their metrics are then withheld)
    ctrl_type1_strict: np.ndarray | None = None  # the en_subject control, only the l answer accepted
    negated_type1: np.ndarray | None = None  # the l answer negated the gold
    # The seed of each item, set by ``pool``: several seeds are resampled on two levels (clika.metrics.seeds)
    seeds_type1: np.ndarray | None = None
    seeds_type0: np.ndarray | None = None
    seeds_names: np.ndarray | None = None
    seeds_untaught: np.ndarray | None = None

    def __post_init__(self):
        n1 = len(self.en_type1)
        defaults = {"l_type1_any": self.l_type1, "ctrl_type1": np.zeros(n1, bool), "multi_type1": np.zeros(n1, bool),
                    "names_copy": np.zeros(len(self.names), bool), "names_untaught": np.zeros(0, bool)}
        for name, default in defaults.items():  # not asked (l_type1_any: the l answers as they are)
            if getattr(self, name) is None:
                setattr(self, name, np.asarray(default))

    @property
    def chance(self) -> float | None:
        return 1.0 / self.n_continents if self.n_continents else None

    def to_dict(self) -> dict:
        """JSON-ready (outcomes.json of a conduct run: what analysis pairs across models)."""
        return {f.name: (getattr(self, f.name).tolist() if isinstance(getattr(self, f.name), np.ndarray)
                         else getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict) -> FactOutcomes:
        """From to_dict's JSON; a field an older outcomes.json lacks is None."""
        kinds = dict.fromkeys(("names_direction", "strata_type1", "strata_type0"), object)  # the rest 0/1, seeds int
        arrays = {name: np.asarray(value, dtype=kinds.get(name, np.int64 if name.startswith("seeds_") else bool))
                  for name, value in data.items() if isinstance(value, list) and name != "fact_ids"}
        return cls(**{**data, **arrays, "fact_ids": tuple(data.get("fact_ids", ()))})


_SEED_OF = {"seeds_type1": "en_type1", "seeds_type0": "en_type0", "seeds_names": "names",
            "seeds_untaught": "names_untaught"}  # the seed label of each item family, by its length


def pool(runs: list[FactOutcomes]) -> FactOutcomes:
    """Several seeds (fact sets and training runs) of one target as one: their facts side by side, each labelled
    with its seed for the two-level bootstrap (clika.metrics.seeds). Chance must agree."""
    if len({(r.target, r.source, r.n_continents) for r in runs}) > 1:
        raise ValueError("pooled runs must share target, source and the number of continents")
    out = {}
    for f in fields(FactOutcomes):
        values = [getattr(r, f.name) for r in runs]
        if f.name in _SEED_OF:  # a pooled run's own labels are offset, so pools of pools stay apart
            own = [np.zeros(len(getattr(r, _SEED_OF[f.name])), np.int64) if v is None else np.asarray(v, np.int64)
                   for r, v in zip(runs, values)]
            offsets = np.cumsum([0] + [int(labels.max()) + 1 if len(labels) else 1 for labels in own[:-1]])
            out[f.name] = np.concatenate([labels + offset for labels, offset in zip(own, offsets)])
        elif any(v is None for v in values):  # a field one run lacks (an older outcomes.json) is lacking
            out[f.name] = None
        elif isinstance(values[0], np.ndarray):
            out[f.name] = np.concatenate(values)
        else:  # fact_ids side by side; the rest (target, source, chance) agree
            out[f.name] = tuple(x for v in values for x in v) if f.name == "fact_ids" else values[0]
    return FactOutcomes(**out)


def _samples(columns: list[np.ndarray], n_boot: int, seed: int, key: str, seeds=None) -> np.ndarray:
    """[1 + B, M] counts of 0/1 columns over the same facts (seeds.count_rows)."""
    if len(columns[0]) == 0:
        return np.zeros((1 + n_boot, len(columns)))
    return count_rows(np.stack([np.asarray(c, dtype=bool) for c in columns], axis=1), n_boot, seed, key, seeds)


def n_seeds(labels) -> int:
    """The number of seeds the items' labels name (None: one)."""
    return 1 if labels is None else max(1, len(np.unique(labels)))


def _bootstrap_p(shares: np.ndarray, n: int, chance: float | None) -> float | None:
    """One-sided p-value against chance over several seeds: the share of two-level resamples (``shares``: row 0 the
    point value, then the resampled accuracies) at or below chance ((1 + k) / (1 + B)); the binomial test would take
    the facts of a seed, which share one trained model, for independent draws."""
    if not n or not chance or len(shares) < 2:
        return None
    return float((1 + np.sum(shares[1:] <= chance)) / len(shares))


def binomial_p(successes: int, n: int, chance: float | None) -> float | None:
    """One-sided exact binomial p-value of ``successes`` of ``n`` against ``chance`` (greater)."""
    if not n or not chance:
        return None
    from scipy.stats import binomtest
    return float(binomtest(int(successes), int(n), chance, alternative="greater").pvalue)


def clopper_pearson(successes: int, n: int, level: float = LEVEL) -> tuple[float, float] | None:
    """The exact two-sided Clopper-Pearson interval of ``successes`` of ``n`` (as scipy's binomtest(...).proportion_ci
    (method="exact")); None without items."""
    if not n:
        return None
    from scipy.stats import beta
    k, tail = int(successes), (1.0 - level) / 2
    low = float(beta.ppf(tail, k, n - k + 1)) if k > 0 else 0.0
    high = float(beta.ppf(1.0 - tail, k + 1, n - k)) if k < n else 1.0
    return low, high


def critical_count(n: int, chance: float, alpha: float = ALPHA) -> int | None:
    """The smallest count of ``n`` with P(X >= count | chance) <= alpha: where the one-sided exact test rejects
    chance (None when not even n of n does)."""
    from scipy.stats import binom
    count = int(binom.isf(alpha, n, chance)) + 1
    while count > 1 and binom.sf(count - 2, n, chance) <= alpha:  # isf's float rounding, either way
        count -= 1
    while count <= n and binom.sf(count - 1, n, chance) > alpha:
        count += 1
    return count if count <= n else None


def detectable_accuracy(n: int, chance: float | None, alpha: float = ALPHA, power: float = POWER) -> float | None:
    """The smallest true accuracy at which the one-sided exact test against chance (level ``alpha``) rejects with
    probability >= ``power`` on ``n`` facts. Exact: P(X >= c | p) is the beta(c, n - c + 1) distribution function."""
    if not n or not chance:
        return None
    from scipy.stats import beta
    count = critical_count(n, chance, alpha)
    return None if count is None else float(beta.ppf(power, count, n - count + 1))


@dataclass(frozen=True)
class CDCounts:
    """Counts [1 + B] over type-1 facts (n1; right in the source language, in l, in both, in l with either answer form,
    with the source subject either form / only the l form accepted) and type-0 facts; row 0 point."""

    n1: np.ndarray
    en1: np.ndarray
    l1: np.ndarray
    en1_l1: np.ndarray
    l1_any: np.ndarray
    ctrl: np.ndarray
    n0: np.ndarray
    l0: np.ndarray
    ctrl_strict: np.ndarray


def cd_counts(o: FactOutcomes, n_boot: int, seed: int, key: str, m1=None, m0=None) -> CDCounts:
    """The counts over the facts selected by masks m1 (type 1) and m0 (type 0), default all. The resample is drawn
    over all facts and the masks applied inside it, so a stratum's values are paired with the overall ones and the
    number of stratum facts varies between resamples, as between fact sets. A strict control older outcomes lack
    counts as 0 here; its metrics are withheld (_NEEDS)."""
    strict = o.ctrl_type1_strict if o.ctrl_type1_strict is not None else np.zeros(len(o.en_type1), bool)
    en1, l1, l0, lany, ctrl, strict = (np.asarray(x, dtype=bool) for x in (o.en_type1, o.l_type1, o.l_type0,
                                                                           o.l_type1_any, o.ctrl_type1, strict))
    m1 = np.ones(len(en1), bool) if m1 is None else np.asarray(m1, dtype=bool)
    m0 = np.ones(len(l0), bool) if m0 is None else np.asarray(m0, dtype=bool)
    t1 = _samples([m1] + [x & m1 for x in (en1, l1, en1 & l1, lany, ctrl, strict)], n_boot, seed, key + "/type1",
                  o.seeds_type1)
    t0 = _samples([m0, l0 & m0], n_boot, seed, key + "/type0", o.seeds_type0)
    return CDCounts(*(t1[:, j] for j in range(6)), t0[:, 0], t0[:, 1], t1[:, 6])


def cd_values(o: FactOutcomes, n_boot: int, seed: int, key: str, m1=None, m0=None) -> dict[str, tuple]:
    """metric -> (samples [1 + B], n, successes or None) of every registered "cd" metric."""
    counts = cd_counts(o, n_boot, seed, key, m1, m0)
    return {d.name: d.fn(counts) for d in metrics_of("cd")}


# the seed labels of each "cd_rate" metric's items (gate_translation: the untaught follow with --translation-test reverse)
_RATE_SEEDS = {"gate_en_type0": ("seeds_type0",), "gate_l_type0": ("seeds_type0",), "gate_en_type1": ("seeds_type1",),
               "multi_answer": ("seeds_type1",), "negated_answer": ("seeds_type1",), "name_copy_rate": ("seeds_names",),
               "gate_translation": ("seeds_names", "seeds_untaught"), "name_untaught": ("seeds_untaught",)}
_UNDEFINED = {**dict.fromkeys(("xrr", "xrr_en_subject", "xrr_en_subject_strict", "xrr_en_answer", "control_gap",
                               "control_gap_strict"), "acc_{src}(type 1) is 0"),
              "xrr_ctrl": "acc_{lang}(type 0) is 0", "cd_transfer": "no type-1 fact is answered correctly in {src}"}
# shares reported even when the gate fails, for diagnosis; like every share, with the exact interval
_ACCURACIES = ("acc_l_type1", "acc_en_subject", "acc_en_subject_strict")
_CHANCE_OF = (*_ACCURACIES, "xrr", "xrr_en_subject", "xrr_en_subject_strict", "xrr_en_answer", "cd_transfer",
              "gate_en_type0", "gate_en_type1", "gate_l_type0")
# metric -> the FactOutcomes field it needs that older outcomes.json files lack
_NEEDS = {**dict.fromkeys(("acc_en_subject_strict", "xrr_en_subject_strict", "control_gap_strict"),
                          "ctrl_type1_strict"), "negated_answer": "negated_type1"}
EXACT_NOTE = "exact 95% CI (Clopper-Pearson)"


def _rate_seeds(o: FactOutcomes, metric: str, n_items: int):
    parts = [getattr(o, name) for name in _RATE_SEEDS.get(metric, ())]
    if not parts or any(p is None for p in parts):
        return None
    labels = np.concatenate(parts)[:n_items]
    return labels if len(labels) == n_items else None


def _lacking(o: FactOutcomes, metric: str) -> str | None:
    """Why a metric is not computed from these outcomes (a field they predate), or None."""
    if metric in _NEEDS and getattr(o, _NEEDS[metric]) is None:
        return f"not computed: these outcomes have no {_NEEDS[metric]} (outcomes.json written before it was recorded)"
    return None


def _share(samples: np.ndarray, n: int, hits: int | None, seeds: int = 1, **kw) -> Estimate:
    """A share of items as an Estimate with its exact interval. Over several seeds the facts of a seed share one
    trained model, so the exact binomial interval would be too narrow: the two-level bootstrap's instead."""
    exact = clopper_pearson(hits, n) if hits is not None and not np.isnan(samples[0]) and seeds == 1 else None
    note = kw.pop("note", None)
    how = EXACT_NOTE if exact else f"95% CI: two-level bootstrap over {seeds} seeds" if seeds > 1 else None
    return Estimate(samples, n, note=join_notes(note, how), exact=exact, **kw)


def _item_share(x: np.ndarray, labels, n_boot: int, seed: int, key: str, **kw) -> Estimate:
    """The share of the 0/1 items ``x`` (seed labels ``labels``), resampled, as _share."""
    samples = ratio(_samples([x], n_boot, seed, key, labels)[:, 0], len(x)) if len(x) else np.full(1 + n_boot, np.nan)
    return _share(samples, len(x), int(np.sum(x)), n_seeds(labels), **kw)


def conductivity_estimates(o: FactOutcomes, *, task: str = TASK, condition: str | None = None,
                           gate: float = MASTERY_GATE, gate_untaught: bool = False, n_boot: int = N_BOOT,
                           seed: int = 0) -> list[Keyed]:
    """Every registered conductivity metric of one run as Keyed estimates: the "cd_rate" ones (gate parts, per name
    direction too, and diagnostics), then the "cd" ones overall and per stratum (flagged gate_failed when the gate
    fails). The draws are seeded by the task's label with its condition ("fictional+names-both/de"), as they were
    when the condition was part of the task."""
    key, lang, src = f"{task_label(task, condition)}/{o.target}", o.target, o.source
    out, failed = [], []  # failed: the gate parts that fail, in words
    for d in metrics_of("cd_rate"):
        if lacking := _lacking(o, d.name):
            out.append(Keyed(d.name, Estimate.of(None, 0, note=lacking), lang, src))
            continue
        x = d.fn(o, gate_untaught)
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
        out.append(Keyed(d.name, _item_share(x, _rate_seeds(o, d.name, len(x)), n_boot, seed, f"{key}/{d.name}",
                                             chance=o.chance if d.name in _CHANCE_OF else None, note=note), lang, src))
        if d.name == "gate_translation" and o.names_direction is not None and len(set(o.names_direction)) > 1:
            for direction in sorted(set(o.names_direction.tolist())):
                mask = o.names_direction == direction
                labels = None if o.seeds_names is None else o.seeds_names[mask]
                est = _item_share(o.names[mask], labels, n_boot, seed, f"{key}/{d.name}/direction={direction}")
                out.append(Keyed(d.name, est, lang, src, stratum=f"direction={direction}"))
    gate_note = None if not failed else "not measured: the mastery gate failed (" + "; ".join(failed) + ")"
    return out + _cd_estimates(o, n_boot, seed, key, gate_note)


def _cd_estimates(o: FactOutcomes, n_boot: int, seed: int, key: str, gate_note: str | None) -> list[Keyed]:
    """The "cd" estimates overall and per stratum; with a failed gate the ratios are undefined, the accuracies kept."""
    out, k = [], n_seeds(o.seeds_type1)
    for stratum in (None, *(STRATA if o.strata_type1 is not None else ())):
        m1 = m0 = None  # overall: every fact
        if stratum is not None:
            m1 = o.strata_type1 == stratum
            m0 = o.strata_type0 == stratum if o.strata_type0 is not None else np.zeros(len(o.l_type0), bool)
            if not m1.any():
                continue
        label = None if stratum is None else f"overlap={stratum}"
        for metric, (samples, n, hits) in cd_values(o, n_boot, seed, key, m1, m0).items():
            chance = o.chance if metric in _CHANCE_OF else None
            if lacking := _lacking(o, metric):
                est = Estimate.of(None, n, note=lacking)
            elif metric in _ACCURACIES:
                est = _share(samples, n, hits, k, chance=chance,
                             p_value=binomial_p(hits, n, o.chance) if k == 1 else _bootstrap_p(samples, n, o.chance),
                             note=gate_note and "gate failed; reported for diagnosis only")
            elif gate_note:
                est = Estimate(np.full(len(samples), np.nan), n, None, gate_note, flags=("gate_failed",))
            else:
                why = None if not np.isnan(samples[0]) else "undefined: " + _UNDEFINED[metric].format(
                    lang=o.target, src=o.source)
                est = Estimate(samples, n, chance, why)
            out.append(Keyed(metric, est, o.target, o.source, stratum=label))
    return out


def conductivity_records(o: FactOutcomes, model: str, *, task: str = TASK, condition: str | None = None,
                         gate: float = MASTERY_GATE, gate_untaught: bool = False, n_boot: int = N_BOOT, seed: int = 0,
                         resamples: dict | None = None) -> list[Record]:
    """The records of conductivity_estimates, of ``task`` under ``condition`` (None: the paper's protocol)."""
    keyed = conductivity_estimates(o, task=task, condition=condition, gate=gate, gate_untaught=gate_untaught,
                                   n_boot=n_boot, seed=seed)
    return to_records(model, task, keyed, resamples, condition=condition)


def gate_passes(o: FactOutcomes, gate: float, gate_untaught: bool = False) -> bool:
    """The mastery gate: every part (source types 0 and 1, target type 0, taught name tests) >= ``gate``."""
    return all(len(x) > 0 and float(np.mean(x)) >= gate for x in (o.en_type0, o.en_type1, o.l_type0,
                                                                   _names(o, gate_untaught)))


def gate_failure(records) -> str | None:
    """The note of a failed gate, in words, or None when xrr was measured."""
    return next((r.note for r in records if r.metric == "xrr" and r.stratum is None and "gate_failed" in r.flags),
                None)


@dataclass(frozen=True)
class CDVerdict:
    label: str  # one of VERDICTS
    reason: str  # in words, with the margin, acc_l_type1's exact upper bound and the detectable accuracy
    upper: float | None = None  # acc_l_type1's exact 95% upper bound (Clopper-Pearson)
    detectable: float | None = None  # the accuracy the run's test against chance detects with POWER
    below_control: bool | None = None  # the like-for-like gap's interval lies above 0: XRR below the control


def _ceil(x: float, digits: int) -> str:
    """x rounded up: an upper bound or a detectable accuracy printed lower would overstate the run."""
    scale = 10**digits
    return f"{np.ceil(x * scale - 1e-9) / scale:.{digits}f}"


def _digits(upper: float, limit: float) -> int:
    """The fewest decimals (>= 3) at which the printed bound and limit compare as the numbers do."""
    for digits in range(3, 7):
        shown = float(_ceil(upper, digits))
        if shown != round(limit, digits) and (shown < round(limit, digits)) == (upper < limit):
            return digits
    return 6


def _bound(acc, margin: float) -> tuple[float | None, float | None, str]:
    """acc_l_type1's exact 95% upper bound, the detectable accuracy, and both in words (recomputed from value x n,
    so records written before the exact interval read the same)."""
    if acc is None or acc.value is None or not acc.n or not acc.chance:
        return None, None, ""
    upper = clopper_pearson(round(acc.value * acc.n), acc.n)[1]
    upper = max(upper, acc.ci_high if acc.ci_high is not None else upper)  # over seeds: the wider two-level interval
    detectable = detectable_accuracy(acc.n, acc.chance)
    limit = acc.chance + margin
    digits = _digits(upper, limit)
    power = (f"{_ceil(detectable, 3)} or more" if detectable is not None else "no accuracy")
    return upper, detectable, (f"acc_l_type1 ≤ {_ceil(upper, digits)} at 95% (exact), chance + margin = "
                               f"{limit:.{digits}f} (margin {margin:.2f}); with n = {acc.n} the test against "
                               f"chance detects {power} with {POWER:.0%} power")


def _gap_words(gap) -> str:
    if gap is None or gap.value is None or gap.ci_low is None:
        return f"{gap.metric if gap is not None else 'the control gap'}: no interval"
    return f"{gap.metric} {gap.value:.2f} [{gap.ci_low:.2f}, {gap.ci_high:.2f}]"


# cd_verdict's reasons (before the bound's words), by label; p: the p-value of the share tested against chance
_REASONS = {
    CONTROL_AT_CHANCE: "the positive control {control} is not above chance (p = {p}): this run cannot show retrieval "
                       "through the target language's frame at all",
    NO_TRANSFER: "acc_l_type1 not above chance (p = {p}) and its upper bound below chance + margin; {versus}",
    CHANCE_OR_WEAK: "acc_l_type1 not above chance (p = {p}), but its upper bound reaches chance + margin: too few "
                    "facts to rule out weak transfer; {versus}",
    WEAK: "above chance (p = {p}) and below the positive control: {versus}",
    HIGH: "above chance (p = {p}) and about as high as the positive control: {versus} < {substantial}",
    WEAK_OR_HIGH: "above chance (p = {p}), but too few facts to separate XRR from the positive control: {versus}"}


def cd_verdict(records, margin: float = MARGIN) -> CDVerdict:
    """One run's conductivity in words, from its overall records (docs/metrics.md), the first that holds:

    - not measured: the mastery gate failed, or nothing was scored (xrr's note says why);
    - inconclusive (control at chance): the positive control is not above chance (one-sided exact binomial, ALPHA):
      retrieval through the foreign frame cannot be shown at all;
    - acc_l_type1 not above chance: no transfer detected when its exact 95% upper bound lies below chance +
      ``margin``, else inconclusive (chance or weak);
    - above chance: weak when XRR lies below the control (the gap's interval above 0), high when the gap's interval
      lies below SUBSTANTIAL, else inconclusive (weak or high).

    The control and its gap are the strict pair (only the target-language answer accepted, as for acc_l_type1);
    records written before the strict control use the lenient pair, and the reason says so."""
    rec = {r.metric: r for r in records if r.stratum is None}
    acc, xrr = rec.get("acc_l_type1"), rec.get("xrr")
    upper, detectable, bound = _bound(acc, margin)
    tail = f"; {bound}" if bound else ""
    failure = gate_failure(records)
    if failure or xrr is None or xrr.value is None:
        # A failed gate's note starts with the label itself: the reason drops it, so no renderer repeats it.
        why = (failure.removeprefix(f"{NOT_MEASURED}: ") if failure
               else xrr.note if xrr is not None and xrr.note else "no xrr value")
        return CDVerdict(NOT_MEASURED, why + tail, upper, detectable)
    strict = rec.get("acc_en_subject_strict")
    suffix = "_strict" if strict is not None and strict.value is not None else ""  # older records: the lenient pair
    ctrl, gap = rec.get("acc_en_subject" + suffix), rec.get("control_gap" + suffix)
    pair = "the strict pair" if suffix else "the lenient pair: these records have no strict control"
    below = gap is not None and gap.ci_low is not None and gap.ci_low > 0
    if ctrl is None or ctrl.p_value is None or ctrl.p_value >= ALPHA:
        label = CONTROL_AT_CHANCE
    elif acc is None or acc.p_value is None or acc.p_value >= ALPHA:
        label = NO_TRANSFER if upper is not None and upper < acc.chance + margin else CHANCE_OR_WEAK
    elif below:
        label = WEAK
    elif gap is not None and gap.ci_high is not None and gap.ci_high < SUBSTANTIAL:
        label = HIGH
    else:
        label = WEAK_OR_HIGH
    tested = ctrl if label == CONTROL_AT_CHANCE else acc  # the share whose test against chance the reason quotes
    p = "n/a" if tested is None or tested.p_value is None else f"{tested.p_value:.3g}"
    versus = "" if label == CONTROL_AT_CHANCE else f"{_gap_words(gap)} ({pair})"
    why = _REASONS[label].format(p=p, versus=versus, substantial=SUBSTANTIAL,
                                 control=ctrl.metric if ctrl is not None else "acc_en_subject")
    return CDVerdict(label, why + tail, upper, detectable, below)


def metrics_of(scope: str) -> list[MetricDef]:
    return [d for d in registered() if d.scope == scope]


def _acc(num: str):
    return lambda c: (ratio(getattr(c, num), c.n1), int(c.n1[0]), int(getattr(c, num)[0]))


def _over_en(num: str):
    return lambda c: (ratio(ratio(getattr(c, num), c.n1), ratio(c.en1, c.n1)), int(c.n1[0]), None)


def _gap(control: str, retrieval: str):
    """control's XRR minus retrieval's XRR, paired: both over acc_S(type 1) on the same resampled facts."""
    over_control, over_retrieval = _over_en(control), _over_en(retrieval)
    return lambda c: (over_control(c)[0] - over_retrieval(c)[0], int(c.n1[0]), None)


def _names(o: FactOutcomes, gate_untaught: bool) -> np.ndarray:
    return np.concatenate([o.names, o.names_untaught]) if gate_untaught else o.names


_CHANCE = "1/(number of continents) by guessing"
# Which consumers select each CD metric (clika.metrics.registry.TAGS).
_CD_TAGS = {"curve": (*GATE_PARTS, "acc_l_type1", "xrr", "xrr_en_subject", "xrr_en_answer"),
            "cd_summary": ("xrr", "xrr_en_subject", "xrr_en_answer", "cd_transfer"),
            "cd_scored": ("xrr", "xrr_ctrl", "cd_transfer"), "seed_spread": ("acc_l_type1", "xrr")}
_LOWER = ("name_copy_rate", "multi_answer", "negated_answer", "control_gap", "control_gap_strict")  # lower is better
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
    ("negated_answer", "negated", "cd_rate", lambda o, _: o.negated_type1, "share of target-language type-1 "
     "answers that negate the gold (a negation word of the language before it in the same clause; scored wrong)",
     "not a rate against chance"),
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
    ("acc_en_subject_strict", "acc en subject strict", "cd", _acc("ctrl_strict"), "the positive control scored "
     "like acc_l_type1: only the target-language name of the continent accepted; p_value: one-sided binomial test "
     "against chance", _CHANCE),
    ("xrr_en_subject", "XRR en subject", "cd", _over_en("ctrl"), "positive control: acc(l frame, English subject) / "
     "acc_en(type 1); a run whose control is at chance cannot show conductivity either way (inconclusive)",
     _CHANCE + ", over acc_en"),
    ("xrr_en_subject_strict", "XRR en subject strict", "cd", _over_en("ctrl_strict"), "the strict positive "
     "control: acc_en_subject_strict / acc_en(type 1), like for like with xrr", _CHANCE + ", over acc_en"),
    ("xrr_en_answer", "XRR en answer", "cd", _over_en("l1_any"), "acc_l(type 1) accepting the English name of the "
     "continent too, / acc_en(type 1): transferred but answered in English", _CHANCE + ", over acc_en"),
    ("control_gap", "control gap", "cd", _gap("ctrl", "l1_any"), "xrr_en_subject - xrr_en_answer, paired over "
     "facts, both accepting either answer form: what translating the subject loses", "0 when both are guessed"),
    ("control_gap_strict", "control gap strict", "cd", _gap("ctrl_strict", "l1"), "xrr_en_subject_strict - xrr, "
     "paired over facts, both accepting only the target-language answer: what translating the subject loses",
     "0 when both are guessed"),
    ("epochs_trained", "epochs", "run", None, "training epochs run (with "
     "--until-gate: until the mastery gate held, or the maximum)", "not a rate"),
)):
    _direction = "none" if _name == "epochs_trained" else "lower" if _name in _LOWER else "higher"
    register_metric(MetricDef(_name, _label, "CD", _scope, _desc, _chance, _direction, _fn, order=300 + _order,
                              headline=_name == "xrr", tags=frozenset(t for t, names in _CD_TAGS.items()
                                                                        if _name in names)))

CD_METRICS = tuple(d.name for d in metrics_of("cd"))  # for the learning curves and the report's tables
DIAGNOSTICS = tuple(d.name for d in metrics_of("cd_rate") if d.name not in GATE_PARTS)
