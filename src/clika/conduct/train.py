"""Teach fictional facts by fine-tuning: LoRA (peft) by default, full fine-tuning on request.

A plain PyTorch loop: examples are tokenised once, the loss is on the answer
tokens (and the closing EOS) only, batches are shuffled by a seeded generator.
``PromptFormat`` is shared with evaluation so that the model is asked exactly
the way it was taught.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Sequence

import torch

from clika.errors import ConfigError
from clika.fictional.dataset import TrainExample

IGNORE = -100  # label value the loss skips (prompt and padding positions)


@dataclass(frozen=True)
class PromptFormat:
    """plain: "<prompt>\\n" then the answer; chat: the tokenizer's chat template (user turn)."""

    kind: Literal["plain", "chat"] = "plain"

    def prompt_ids(self, tokenizer, prompt: str) -> list[int]:
        if self.kind == "chat":
            if not getattr(tokenizer, "chat_template", None):
                raise ConfigError("chat format asked for, but the tokenizer has no chat template")
            text = tokenizer.apply_chat_template(
                [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False
            )
            return tokenizer(text, add_special_tokens=False)["input_ids"]
        return tokenizer(prompt + "\n", add_special_tokens=True)["input_ids"]

    def answer_ids(self, tokenizer, answer: str) -> list[int]:
        return tokenizer(answer, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]


@dataclass(frozen=True)
class TrainConfig:
    method: Literal["lora", "full"] = "lora"
    epochs: int = 10
    lr: float = 1e-3  # LoRA; full fine-tuning wants ~1e-5..1e-4
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_targets: str | tuple[str, ...] = "all-linear"
    batch_size: int = 8
    max_length: int = 128
    seed: int = 0
    prompt_format: PromptFormat = field(default_factory=PromptFormat)
    progress: bool = True


@dataclass
class TrainResult:
    model: torch.nn.Module  # the trained model (a PeftModel for LoRA)
    losses: list[float]  # mean loss of each epoch
    seconds: float
    n_examples: int
    n_trainable: int


def tokenise(tokenizer, examples: Sequence[TrainExample], fmt: PromptFormat, max_length: int):
    """(input_ids, labels) per example; long prompts are cut from the left, keeping the answer."""
    rows = []
    for ex in examples:
        prompt, answer = fmt.prompt_ids(tokenizer, ex.prompt), fmt.answer_ids(tokenizer, ex.answer)
        answer = answer[:max_length]
        prompt = prompt[max(0, len(prompt) + len(answer) - max_length) :]
        rows.append((prompt + answer, [IGNORE] * len(prompt) + answer))
    return rows


def _batches(rows, batch_size: int, pad_id: int, generator: torch.Generator):
    """Left-padded batches, so every answer ends at the last position: the loss then
    needs logits for the last few positions only (see ``_answer_loss``)."""
    order = torch.randperm(len(rows), generator=generator).tolist()
    for start in range(0, len(order), batch_size):
        chunk = [rows[i] for i in order[start : start + batch_size]]
        width = max(len(ids) for ids, _ in chunk)
        ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        labels = torch.full((len(chunk), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for j, (x, y) in enumerate(chunk):
            ids[j, width - len(x) :], labels[j, width - len(y) :], mask[j, width - len(x) :] = (
                torch.tensor(x), torch.tensor(y), 1,
            )  # fmt: skip
        yield ids, labels, mask


def _answer_loss(model, ids: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over answer tokens, computing the LM head only where needed.

    The vocabulary projection dominates the cost of small models with large
    vocabularies (Gemma 3: 262k rows), so only the last ``span + 1`` positions
    (the longest answer in the batch) get logits. Position ids follow the
    attention mask, as in generation, so left padding does not shift positions."""
    answer_cols = (labels != IGNORE).any(dim=0).nonzero()
    span = ids.shape[1] - int(answer_cols[0])
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions, logits_to_keep=span + 1)
    logits = out.logits[:, :-1].float()  # position t predicts token t + 1
    return torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), labels[:, -span:].reshape(-1), ignore_index=IGNORE
    )


def wrap_lora(model, config: TrainConfig):
    from peft import LoraConfig, get_peft_model

    targets = config.lora_targets if isinstance(config.lora_targets, str) else list(config.lora_targets)
    lora = LoraConfig(
        r=config.lora_rank, lora_alpha=config.lora_alpha, target_modules=targets, lora_dropout=0.0,
        task_type="CAUSAL_LM",
    )  # fmt: skip
    with warnings.catch_warnings():  # peft calls a transformers API deprecated in v5; not ours to fix
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        return get_peft_model(model, lora)


def train(model, tokenizer, examples: Sequence[TrainExample], config: TrainConfig) -> TrainResult:
    """Fine-tune ``model`` on ``examples`` in place (wrapped in LoRA unless config.method == "full")."""
    if not examples:
        raise ConfigError("no training examples")
    if config.method not in ("lora", "full"):
        raise ConfigError(f"unknown fine-tuning method {config.method!r} (lora or full)")
    torch.manual_seed(config.seed)
    if config.method == "lora":
        model = wrap_lora(model, config)
    device = next(model.parameters()).device
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=config.lr, weight_decay=0.0)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    rows = tokenise(tokenizer, examples, config.prompt_format, config.max_length)
    generator = torch.Generator().manual_seed(config.seed)
    steps_per_epoch = math.ceil(len(rows) / config.batch_size)
    losses: list[float] = []
    start = time.perf_counter()
    model.train()
    with _progress(config.progress, config.epochs * steps_per_epoch) as advance:
        for epoch in range(config.epochs):
            total, count = 0.0, 0
            for ids, labels, mask in _batches(rows, config.batch_size, pad_id, generator):
                loss = _answer_loss(model, ids.to(device), labels.to(device), mask.to(device))
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimiser.step()
                total, count = total + loss.item(), count + 1
                advance(epoch, total / count)
            losses.append(total / count)
            if config.progress and not sys.stderr.isatty():  # rich draws no live bar into a log file
                print(f"epoch {epoch + 1}/{config.epochs}: loss {losses[-1]:.4f}", file=sys.stderr, flush=True)
    model.eval()
    n_trainable = sum(p.numel() for p in params)
    return TrainResult(model, losses, time.perf_counter() - start, len(rows), n_trainable)


class _progress:
    """A rich progress bar with the running loss; a no-op when disabled."""

    def __init__(self, enabled: bool, total: int):
        self.enabled, self.total = enabled, total

    def __enter__(self):
        if not self.enabled:
            return lambda epoch, loss: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            TextColumn("training"), BarColumn(), MofNCompleteColumn(),
            TextColumn("epoch {task.fields[epoch]}  loss {task.fields[loss]:.4f}"), TimeElapsedColumn(),
        )  # fmt: skip
        self.bar.start()
        task = self.bar.add_task("train", total=self.total, epoch=1, loss=float("nan"))
        return lambda epoch, loss: self.bar.update(task, advance=1, epoch=epoch + 1, loss=loss)

    def __exit__(self, *exc):
        if self.enabled:
            self.bar.stop()
        return False


def save(model, tokenizer, directory: str | Path) -> Path:
    """The LoRA adapter (peft save_pretrained) or the full model, plus the tokenizer."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
