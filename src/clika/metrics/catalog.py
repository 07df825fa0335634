"""Every metric definition: the built-in ones (imported here, so they are registered) and any
registered since. Records, tables, the HTML report and the CLI look metrics up here."""

from __future__ import annotations

from clika.metrics import conductivity, definitions, diagnostics, transfer  # noqa: F401 - they register
from clika.metrics.registry import MetricDef, lookup, registered


def all_metrics() -> list[MetricDef]:
    return registered()


def metrics_of(*scopes: str) -> list[MetricDef]:
    return [d for d in registered() if d.scope in scopes]


def get_metric(name: str) -> MetricDef | None:
    return lookup(name)


def label(name: str) -> str:
    """The human label of a metric name ("en_co" -> "en-CO"), or the name itself."""
    defn = lookup(name)
    return defn.label if defn is not None else name
