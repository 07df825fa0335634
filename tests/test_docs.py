"""The docs describe the code as it is: every registered metric has its definition in
docs/metrics.md, and docs/architecture.md names only modules that exist and every module there is."""

from __future__ import annotations

import re
from pathlib import Path

from clika.metrics.catalog import all_metrics

ROOT = Path(__file__).resolve().parent.parent


def test_every_registered_metric_is_defined_in_docs_metrics_md():
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^### (\S+)$", text, flags=re.M))
    names = {d.name for d in all_metrics()}
    assert names <= headings, f"undocumented metrics: {sorted(names - headings)}"


def test_architecture_md_names_every_module_and_no_missing_one():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = {n for n in re.findall(r"`((?:[a-z_]+/)*[a-z_]+\.py)`", text) if not n.startswith("tests/")}
    src = ROOT / "src" / "clika"
    modules = {str(p.relative_to(src)) for p in src.rglob("*.py") if p.name != "__init__.py"}
    assert named - modules == set(), f"docs/architecture.md names files that do not exist: {sorted(named - modules)}"
    assert modules - named == set(), f"docs/architecture.md leaves out: {sorted(modules - named)}"


def test_the_makefile_declares_only_targets_it_defines():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    phony = set(re.search(r"^\.PHONY:(.*)$", text, flags=re.M).group(1).split())
    defined = set(re.findall(r"^([a-z][a-z-]*):", text, flags=re.M))
    assert phony <= defined, f"declared but not defined: {sorted(phony - defined)}"
