"""`clika conduct`: the conductivity level (XRR) — teach fictional facts, gate, measure."""

from __future__ import annotations

from pathlib import Path

import typer

from clika import api
from clika.api import ConductOptions
from clika.cli.common import MARGIN_HELP, split_list, stderr
from clika.errors import ConfigError

D = ConductOptions


def conduct_command(
    target: list[str] = typer.Option(..., "--target", help="Target languages, comma-separated (e.g. zh,de,ru)."),
    output: Path = typer.Option(..., "--output", "-o", help="Output folder (one sub-folder per model and target)."),
    model: list[str] | None = typer.Option(None, "--model", help="Model(s), comma-separated: HF folders, hub ids "
                                              "or embedded names (gemma3-270m, smollm2-135m); default gemma3-270m."),
    data: str = typer.Option(D.data, "--data", help="generated (clika's generator) or upstream (the paper's files)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="The CLiKA data for --data upstream "
                                            "(default: the fetched data, see clika data fetch)."),
    names: str = typer.Option(D.names, "--names", help="Generated names: compound (translated compounds, the "
                              "default) or transliterated (one pseudo-word in every script)."),
    facts: int | None = typer.Option(D.n_facts, "--facts", help="Number of generated facts (default 120)."),
    continents: int | None = typer.Option(D.n_continents, "--continents", help="Number of invented continents "
                                             "(chance level = 1/continents)."),
    name_direction: str = typer.Option(D.name_direction, "--name-direction", help="Which way names are taught: "
                                       "to-en (target -> source language, the paper's data), from-en, or both. "
                                       "A protocol condition, recorded in every result."),
    source: str = typer.Option(D.source, "--source", help="The language type-1 facts are taught in (default en); "
                               "with several runs, a source x target matrix of conductivity."),
    translation_test: str = typer.Option(D.translation_test, "--translation-test", help="The gate's name tests: "
                                         "held-out (every taught direction, with a held-out prompt in the name's "
                                         "own language) or reverse (the untaught direction too, as upstream's gate)."),
    gate_prompt: str = typer.Option(D.gate_prompt, "--gate-prompt", help="The language of the gate's held-out name "
                                    "prompt: native (the name's own, the default) or english (for English-centric "
                                    "models). A protocol condition, recorded in every result; the gate threshold "
                                    "stays the same."),
    swapped_rows: str = typer.Option(D.swapped_rows, "--swapped-rows", help="Upstream only: train rows that swap "
                                     "city and continent (ZH) are repaired or dropped (results labelled)."),
    remap: bool = typer.Option(D.remap, "--remap", help="Upstream only: rewrite test golds to the continents "
                               "train teaches where that is one-to-one (results carry the condition remap)."),
    preset_name: str = typer.Option(D.preset, "--preset", help="Training preset: cpu (fast CPU default) or paper "
                                    "(the upstream LLaMA-Factory recipe: LoRA r128 on q_proj,v_proj, bf16, ...)."),
    epochs: int | None = typer.Option(None, "--epochs", help="Override the preset's epochs."),
    lr: float | None = typer.Option(None, "--lr", help="Override the preset's learning rate."),
    method: str | None = typer.Option(None, "--method", help="Override: lora or full."),
    prompt_format: str | None = typer.Option(D.prompt_format, "--format", help="plain, chat or alpaca "
                                                "(default: the preset's; chat for chat models under cpu)."),
    until_gate: bool = typer.Option(D.until_gate, "--until-gate", help="Keep training until the mastery gate "
                                    "holds (checked every epoch), at most --max-epochs."),
    max_epochs: int = typer.Option(D.max_epochs, "--max-epochs", help="The limit for --until-gate."),
    gate_min_epochs: int = typer.Option(D.gate_min_epochs, "--gate-min-epochs", help="--until-gate: first epoch "
                                        "at which the gate is checked."),
    gate_every: int = typer.Option(D.gate_every, "--gate-every", help="--until-gate: check every N epochs."),
    seeds: list[str] | None = typer.Option(None, "--seeds", "--seed", help="Seed(s), comma-separated: per seed "
                                           "its own generated set and its own training seed, pooled with the "
                                           "between-seed spread (default 0)."),
    gate: float = typer.Option(D.gate, "--gate", help="Mastery gate: minimum accuracy of each gate part."),
    margin: float = typer.Option(D.margin, "--margin", help=MARGIN_HELP),
    device: str = typer.Option(D.device, "--device", help="cpu, cuda or auto."),
    backend: str = typer.Option(D.backend, "--backend", help="Evaluation backend: hf or vllm (LoRA request)."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Teach fictional facts per model and target language, apply the mastery gate, report XRR,
    xrr_ctrl and the paired transfer rate, overall and by surface overlap with English."""
    try:
        seed_list = tuple(int(x) for x in split_list(seeds) or ()) or D.seeds
    except ValueError:
        raise ConfigError(f"--seeds takes integers (got {', '.join(seeds or [])})") from None
    overrides = {k: v for k, v in (("epochs", epochs), ("lr", lr), ("method", method)) if v is not None}
    if quiet:
        overrides["progress"] = False
    console = stderr()
    opts = ConductOptions(targets=tuple(t.lower() for t in split_list(target) or ()), output=output,
                          models=tuple(split_list(model) or ()), data=data, data_dir=data_dir, names=names,
                          n_facts=facts, n_continents=continents, name_direction=name_direction, source=source,
                          translation_test=translation_test, gate_prompt=gate_prompt, remap=remap,
                          swapped_rows=swapped_rows, seeds=seed_list, gate=gate, margin=margin, until_gate=until_gate,
                          max_epochs=max_epochs, gate_min_epochs=gate_min_epochs, gate_every=gate_every,
                          preset=preset_name, train_overrides=overrides, prompt_format=prompt_format, device=device,
                          backend=backend)
    result = api.conduct(opts, log=lambda line: console.print(line, markup=False, highlight=False))
    if result.written:  # under torchrun the other processes train alongside and write nothing
        console.print(f"wrote {' and '.join(str(p) for p in result.written)}", markup=False, highlight=False)
