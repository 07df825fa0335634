"""`clika fictional generate`: write a fictional-fact set to inspect (DIR/facts.jsonl)."""

from __future__ import annotations

from pathlib import Path

import typer

from clika import api
from clika.api import GenerateOptions
from clika.cli.common import print_warnings, split_list, stderr

D = GenerateOptions


def generate_command(
    output: Path = typer.Option(..., "--output", "-o", help="Folder for facts.jsonl, entities.jsonl, meta.json."),
    facts: int | None = typer.Option(D.n_facts, "--facts", help="Number of facts (default 120)."),
    seed: int = typer.Option(D.seed, "--seed", help="Seed: the same seed gives the same set."),
    langs: list[str] | None = typer.Option(None, "--langs", help="Languages besides en, comma-separated "
                                              "(default: all ten)."),
    names: str = typer.Option(D.names, "--names", help="compound (translated compounds) or transliterated."),
    continents: int | None = typer.Option(D.n_continents, "--continents", help="Number of invented continents."),
    name_direction: str = typer.Option(D.name_direction, "--name-direction", help="Names taught to-en (target -> "
                                       "source language, the paper's), from-en or both."),
    source: str = typer.Option(D.source, "--source", help="The language type-1 facts are taught in."),
) -> None:
    """Generate fictional facts: one record per fact and language in DIR/facts.jsonl (fact_id, lang, type,
    subject, answer, question, ...), and per target language DIR/train_<lang>.jsonl (what a run teaches)
    and DIR/test_<lang>.jsonl (what it asks: questions and en_subject controls in held-out frames that no
    training prompt uses, name tests both ways with held-out prompts; docs/conductivity.md)."""
    fset = api.generate_fictional(GenerateOptions(output, facts, seed, split_list(langs), names, continents,
                                                  name_direction, source))
    console = stderr()
    print_warnings(console, fset.warnings)
    n1 = sum(f.fact_type == 1 for f in fset.facts)
    console.print(f"{len(fset.facts)} facts ({len(fset.facts) - n1} type 0, {n1} type 1) over "
                  f"{len(fset.continents)} continents (chance {1 / len(fset.continents):.3f}), {names} names, "
                  f"{len(fset.langs)} languages -> {output / 'facts.jsonl'}, train_<lang>.jsonl and test_<lang>.jsonl")
