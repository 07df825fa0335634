"""Every metric definition: the built-in ones (imported here, so they are registered) and any registered since."""

from __future__ import annotations

from clika.metrics import cd, definitions, diagnostics, home_transfer  # noqa: F401 - they register
from clika.metrics.registry import PER_LANGUAGE, TAGS, MetricDef, lookup, registered

all_metrics = registered
get_metric = lookup


def metrics_of(*scopes: str) -> list[MetricDef]:
    return [d for d in registered() if d.scope in scopes]


def headline() -> list[MetricDef]:
    """The headline metrics (leaderboard, terminal tables, heatmaps, compare), in table order."""
    return [d for d in registered() if d.headline]


def headline_per_language() -> list[MetricDef]:
    """Headline metrics with one value per language (table columns, heatmap panels)."""
    return [d for d in headline() if d.scope in PER_LANGUAGE]


def tagged(tag: str) -> list[MetricDef]:
    """The metrics carrying `tag` (registry.TAGS), in table order."""
    if tag not in TAGS:
        raise KeyError(f"unknown metric tag {tag!r} (known: {', '.join(sorted(TAGS))})")
    return [d for d in registered() if tag in d.tags]


def tagged_one(tag: str) -> str:
    """The name of the one metric carrying `tag` (a rank key is one metric)."""
    names = [d.name for d in tagged(tag)]
    if len(names) != 1:
        raise ValueError(f"metric tag {tag!r} must be on exactly one metric, found {names}")
    return names[0]


def compared() -> list[MetricDef]:
    """The metrics `clika compare` tests between two models (those with a paired test), per language."""
    return [d for d in registered() if d.paired_test and d.scope in PER_LANGUAGE]


def label(name: str) -> str:
    """The human label of a metric name ("en_co" -> "en-CO"), or the name itself."""
    defn = lookup(name)
    return defn.label if defn is not None else name
