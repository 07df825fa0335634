"""`clika conduct`: the conductivity level (XRR) — teach fictional facts, gate, measure."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from clika.cli import app, data_app  # noqa: F401


@app.command("conduct")
def conduct_command(
    target: str = typer.Option(..., "--target", help="Target languages, comma-separated (e.g. zh,de)."),
    output: Path = typer.Option(..., "--output", help="Output directory (metrics.jsonl, adapter/, report.md)."),
    model: Optional[str] = typer.Option(None, "--model", help="HF model directory or embedded name (default: the embedded Gemma 3 270M)."),
    data: str = typer.Option("generated", "--data", help="generated (the project's generator) or upstream (CLiKA's files)."),
    facts: int = typer.Option(16, "--facts", help="Number of generated facts (cities); half are type 0."),
    seed: int = typer.Option(0, "--seed", help="Seed of data generation, training and bootstrap."),
    epochs: int = typer.Option(12, "--epochs"),
    lr: Optional[float] = typer.Option(None, "--lr", help="Learning rate (default 1e-3 for LoRA, 5e-5 full)."),
    lora_rank: int = typer.Option(16, "--lora-rank"),
    lora_alpha: int = typer.Option(32, "--lora-alpha"),
    batch_size: int = typer.Option(8, "--batch-size"),
    max_length: int = typer.Option(128, "--max-length", help="Longest training example in tokens."),
    full_finetune: bool = typer.Option(False, "--full-finetune", help="Train all weights instead of a LoRA adapter."),
    gate: float = typer.Option(0.9, "--gate", help="Mastery gate: minimum accuracy of each gate part."),
    device: str = typer.Option("auto", "--device", help="cpu, cuda, or auto."),
    prompt_format: str = typer.Option("auto", "--format", help="plain, chat, or auto (chat for instruction-tuned embedded models)."),
    data_dir: Path = typer.Option(Path("../shared/clika-data"), "--data-dir", help="clika-data folder (for --data upstream)."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Teach fictional facts per target language, apply the mastery gate, report xrr and xrr_ctrl."""
    from rich.console import Console

    from clika.conduct.run import ConductOptions, conduct
    from clika.conduct.train import TrainConfig
    from clika.errors import ConfigError

    if prompt_format not in ("auto", "plain", "chat"):
        raise ConfigError(f"--format must be plain, chat or auto (got {prompt_format!r})")
    if not 0.0 <= gate <= 1.0 or epochs < 1 or facts < 2:
        raise ConfigError("need 0 <= --gate <= 1, --epochs >= 1 and --facts >= 2")
    method = "full" if full_finetune else "lora"
    training = TrainConfig(
        method=method, epochs=epochs, lr=lr if lr is not None else (5e-5 if full_finetune else 1e-3),
        lora_rank=lora_rank, lora_alpha=lora_alpha, batch_size=batch_size, max_length=max_length, seed=seed,
        progress=not quiet,
    )  # fmt: skip
    opts = ConductOptions(
        targets=tuple(t.strip().lower() for t in target.split(",") if t.strip()), output=output, model=model,
        data=data, data_dir=data_dir, n_facts=facts, seed=seed, gate=gate, device=device,
        prompt_format=prompt_format, training=training,  # type: ignore[arg-type]
    )  # fmt: skip
    console = Console(stderr=True)
    conduct(opts, log=lambda line: console.print(line, markup=False, highlight=False))
    console.print(f"wrote {output / 'metrics.jsonl'} and {output / 'report.md'}", markup=False, highlight=False)
