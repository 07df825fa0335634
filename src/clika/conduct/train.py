"""Teach fictional facts by supervised fine-tuning with transformers' ``Trainer`` and peft's LoRA.

The Trainer runs the loop (optimizer, schedules, clipping, accumulation, autocast, checkpoints, resuming,
DDP, the token count); this module uses its public hooks only (no subclass): a ``data_collator``
(``_Pack``, ``_Collate``) that asks the model for the logits of answer positions only
(``logits_to_keep``: Gemma 3's 262k-row output layer dominates a small model's cost), a
``compute_loss_func`` (``_answer_loss``), and callbacks for the progress bar and the per-epoch stop check.

Why not TRL's ``SFTTrainer``: with our own tokenisation (which evaluation must repeat exactly) its fused LM head scores
only answer positions, but only on Triton devices: on CPU it projects every position (prompt and padding too) in tiles
and recomputes them in the backward pass. Measured on a 2-layer Llama with Gemma's 262,144-token vocabulary (full
fine-tuning, batch 8, 40 prompt + 20 answer tokens, 4 steps, 1 CPU thread; peak RSS growth, identical losses):

    Trainer, full logits (labels to the model)   +1674 MiB   10.1 s
    SFTTrainer (trl 1.16, fused LM head)          +836 MiB   30.6 s
    Trainer + logits_to_keep (this module)        +720 MiB    4.7 s

and the CPU is this toolkit's default device.

Multi-GPU: under ``accelerate launch`` or ``torchrun`` the Trainer trains with DDP (effective batch: batch_size x
gradient_accumulation_steps x world size); ``stop_check`` runs on every process and rank 0's answer is broadcast, so all
ranks stop at the same epoch; ``clika conduct`` writes its files and tests the model on rank 0 only
(``conduct/distributed.py``). Several GPUs visible to one plain process (which the Trainer would drive with
``nn.DataParallel``) are refused. Tested on CPU only, DDP under ``torchrun`` with gloo (docs/conductivity.md); untested:
CUDA (fp16 grad scaler, bf16, peak memory), NCCL, several machines, ``accelerate launch`` (``--cpu --num_processes 2``
starts one process: accelerate runs several CPU processes only from a MULTI_CPU config, through mpirun).
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from clika.errors import ConfigError
from clika.fictional.dataset import TrainExample

if TYPE_CHECKING:  # torch is imported where it is used: `clika --help` must not pay 1.6 s for it
    import torch

IGNORE = -100  # label value the loss skips (prompt and padding positions)


def _quiet_deprecation() -> None:
    """peft and the Trainer call a transformers API deprecated in v5 (not ours to fix): keep it off the console."""
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)


_quiet_deprecation()

# The Stanford Alpaca prompt exactly as LLaMA-Factory's ``alpaca`` template renders one user turn: default_system, then
# format_user, tokenised separately with add_special_tokens=False (no BOS); the response ends with EOS.
ALPACA_SYSTEM = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
)
ALPACA_USER = "### Instruction:\n{prompt}\n\n### Response:\n"

FORMATS = ("plain", "chat", "alpaca")
DTYPES = ("auto", "fp32", "bf16", "fp16")
SCHEDULERS = ("linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
              "inverse_sqrt", "cosine_with_min_lr", "warmup_stable_decay")


def _encode(tokenizer, text: str, special: bool = False) -> list[int]:
    return tokenizer(text, add_special_tokens=special)["input_ids"]


@dataclass(frozen=True)
class PromptFormat:
    """How a question is put to the model, identically in training and at test time; then come the answer and EOS.

    plain:  ``"<prompt>\\n"`` with the tokenizer's special tokens (BOS where it adds one).
    chat:   the tokenizer's chat template, one user turn, generation prompt added; the answer is what the
            template renders for the assistant turn (e.g. ``"Paris<|im_end|>\\n"``), EOS added unless there.
    alpaca: LLaMA-Factory's ``alpaca`` template for base models, system and instruction tokenised
            separately, no BOS. (LLaMA-Factory >= 0.9 also labels its turn separator "\\n\\n" after the
            EOS; the 0.6 versions CLiKA used did not, and nothing is generated after EOS.)

    ``prompt_ids`` is what evaluation feeds to ``generate``, ``render`` the same prompt as text (before the
    tokenizer's own special tokens), ``encode`` the training row.
    """

    kind: Literal["plain", "chat", "alpaca"] = "plain"

    def __post_init__(self):
        if self.kind not in FORMATS:
            raise ConfigError(f"unknown prompt format {self.kind!r} (one of {', '.join(FORMATS)})")

    def _chat(self, tokenizer, messages: list[dict], generation_prompt: bool) -> str:
        if not getattr(tokenizer, "chat_template", None):
            raise ConfigError("chat format asked for, but the tokenizer has no chat template")
        return tokenizer.apply_chat_template(messages, add_generation_prompt=generation_prompt, tokenize=False)

    def render(self, tokenizer, prompt: str) -> str:
        """The prompt as text, exactly as the model is asked (template applied)."""
        if self.kind == "chat":
            return self._chat(tokenizer, [{"role": "user", "content": prompt}], True)
        if self.kind == "alpaca":
            return ALPACA_SYSTEM + ALPACA_USER.format(prompt=prompt)
        return prompt + "\n"

    def prompt_ids(self, tokenizer, prompt: str) -> list[int]:
        """The token ids the model is asked at test time (and sees before the answer in training)."""
        if self.kind == "alpaca":
            return _encode(tokenizer, ALPACA_SYSTEM) + _encode(tokenizer, ALPACA_USER.format(prompt=prompt))
        # plain: with the tokenizer's special tokens; chat: the template holds any BOS
        return _encode(tokenizer, self.render(tokenizer, prompt), special=self.kind == "plain")

    def answer_ids(self, tokenizer, answer: str, prompt: str = "") -> list[int]:
        """The ids the model is taught to produce after ``prompt_ids`` (the chat template may need the prompt)."""
        eos = tokenizer.eos_token_id
        if self.kind != "chat":
            return _encode(tokenizer, answer) + ([eos] if eos is not None else [])
        asked = self.render(tokenizer, prompt)
        full = self._chat(tokenizer, [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}],
                          False)
        if not full.startswith(asked):
            raise ConfigError("the chat template renders a conversation that does not start with its own prompt")
        ids = _encode(tokenizer, full[len(asked):])
        return ids if eos is None or eos in ids else ids + [eos]

    def encode(self, tokenizer, prompt: str, answer: str) -> tuple[list[int], list[int]]:
        """(input_ids, labels) of one training example: loss on the answer ids only."""
        p, a = self.prompt_ids(tokenizer, prompt), self.answer_ids(tokenizer, answer, prompt)
        return p + a, [IGNORE] * len(p) + a


@dataclass(frozen=True)
class TrainConfig:
    """Every training setting; the defaults ARE the ``cpu`` preset, chosen to let a ~270M model (the embedded Gemma 3)
    memorise ~100 short facts on 2 CPU cores: LoRA r16/alpha32 on every linear layer (3.8M trainable weights, 1.4%:
    capacity for the facts while the frozen base keeps its languages), lr 1e-3 (100 facts at batch 8 are 13 steps an
    epoch: the paper's 2e-4 is too slow), batch 8, 10 epochs, cosine without warmup (LoRA's B starts at zero, so the
    first steps cannot wreck the base model; the decay lets the last epochs consolidate instead of oscillating), dtype
    "auto": bf16 autocast where the device computes bf16 natively (a GPU that supports it, a CPU with AMX or
    AVX512-BF16: on an AMX Xeon 2.8 s a step against 4.4 s in fp32 for Gemma 3 270M, one thread, 8 facts of 28 tokens;
    torch.profiler: the output layer's 262k rows dominate in fp32), fp32 elsewhere (CPUs without them emulate bf16
    slowly). ``group_by_length`` spares short name translations the long answers' padding.

    Checkpoints go to ``output_dir``/checkpoint-<step>. ``resume``: True resumes from the last checkpoint
    in ``output_dir``; a path from that checkpoint, or from the last one in that run directory.
    """

    method: Literal["lora", "full"] = "lora"
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    lora_targets: str | tuple[str, ...] = "all-linear"  # "all-linear", "q_proj,v_proj" or a tuple of names
    dtype: Literal["auto", "fp32", "bf16", "fp16"] = "auto"  # mixed precision (autocast); weights keep their dtype
    lr: float = 1e-3  # LoRA; full fine-tuning wants ~1e-5..1e-4
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.0
    warmup_steps: int = 0
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    optim: str = "adamw_torch"
    epochs: int = 10
    batch_size: int = 8  # per device
    gradient_accumulation_steps: int = 1
    max_length: int = 128  # longest training example in tokens (a longer one is an error, not cut)
    seed: int = 0
    prompt_format: PromptFormat = field(default_factory=PromptFormat)
    output_dir: str | Path | None = None  # checkpoints; None: a temporary folder, nothing kept
    save_strategy: Literal["no", "epoch", "steps"] = "no"
    save_steps: int = 500
    save_total_limit: int | None = None
    resume: bool | str | Path = False
    gradient_checkpointing: bool = False
    group_by_length: bool = False  # batches of similar length (less padding unpacked); False: random batches
    packing: bool = True  # each batch as one row without padding, attention kept within each example (_Pack)
    progress: bool = True

    def __post_init__(self):
        if isinstance(self.prompt_format, str):
            object.__setattr__(self, "prompt_format", PromptFormat(self.prompt_format))  # frozen
        targets = self.lora_targets
        if isinstance(targets, str) and targets != "all-linear":
            targets = tuple(t.strip() for t in targets.split(",") if t.strip())
        elif isinstance(targets, list):
            targets = tuple(targets)
        object.__setattr__(self, "lora_targets", targets)
        counts = ("epochs", "batch_size", "gradient_accumulation_steps", "max_length", "lora_rank", "save_steps")
        checks = [
            (self.method not in ("lora", "full"), f"method must be lora or full (got {self.method!r})"),
            (self.dtype not in DTYPES, f"dtype must be one of {', '.join(DTYPES)} (got {self.dtype!r})"),
            (self.lr_scheduler not in SCHEDULERS,
             f"lr_scheduler must be one of {', '.join(SCHEDULERS)} (got {self.lr_scheduler!r})"),
            (self.save_strategy not in ("no", "epoch", "steps"),
             f"save_strategy must be no, epoch or steps (got {self.save_strategy!r})"),
            *((not isinstance(getattr(self, name), int) or getattr(self, name) < 1,
               f"{name} must be a positive integer (got {getattr(self, name)!r})") for name in counts),
            (not self.lr > 0, f"lr must be > 0 (got {self.lr})"),
            (not self.lora_alpha > 0 or self.weight_decay < 0 or self.max_grad_norm < 0,
             "need lora_alpha > 0, weight_decay >= 0 and max_grad_norm >= 0"),
            (self.save_total_limit is not None and self.save_total_limit < 1,
             f"save_total_limit must be None or >= 1 (got {self.save_total_limit})"),
            (not 0.0 <= self.warmup_ratio < 1.0, f"warmup_ratio must be in [0, 1) (got {self.warmup_ratio})"),
            (self.warmup_steps < 0 or (self.warmup_steps and self.warmup_ratio),
             "give warmup_steps >= 0 or warmup_ratio, not both"),
            (not 0.0 <= self.lora_dropout < 1.0, f"lora_dropout must be in [0, 1) (got {self.lora_dropout})"),
            (not targets, "lora_targets is empty"),
            (self.save_strategy != "no" and self.output_dir is None,
             f"save_strategy={self.save_strategy!r} needs an output_dir for the checkpoints"),
            (self.resume is True and self.output_dir is None,
             "resume=True needs the output_dir whose last checkpoint to resume from"),
        ]
        problems = [message for failed, message in checks if failed]
        if problems:
            raise ConfigError("training config: " + "; ".join(problems))

    def effective_batch(self, world_size: int = 1) -> int:
        return self.batch_size * self.gradient_accumulation_steps * world_size

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for provenance records."""
        return {**asdict(self), "prompt_format": self.prompt_format.kind,
                "lora_targets": self.lora_targets if isinstance(self.lora_targets, str) else list(self.lora_targets),
                "output_dir": None if self.output_dir is None else str(self.output_dir),
                "resume": self.resume if isinstance(self.resume, bool) else str(self.resume)}


# Named presets: overrides of the dataclass defaults (which are the ``cpu`` preset).
PRESETS: dict[str, dict[str, Any]] = {
    "cpu": {},
    # CLiKA upstream (RiverGao/CLiKA fictional/trainLora.sh, LLaMA-Factory SFT): --finetuning_type lora
    # --lora_target q_proj,v_proj --lora_rank 128 --lora_alpha 16 --lora_dropout 0.1 --learning_rate 2e-4
    # --lr_scheduler_type cosine --num_train_epochs 3 --per_device_train_batch_size 8 --gradient_accumulation_steps 4,
    # template alpaca for base models (chat models: their own template, our "chat"); LLaMA-Factory's defaults for the
    # rest (no warmup, no weight decay, max_grad_norm 1.0, cutoff_len 1024). bf16 as the paper reports: the script
    # takes its precision from a DeepSpeed config not in the repository. The effective batch is 32 per device; the
    # script ran on 4 GPUs (REQUIRED_GPUS=4), i.e. 128: on one GPU use gradient_accumulation_steps=16 to match that.
    "paper": dict(method="lora", lora_rank=128, lora_alpha=16, lora_dropout=0.1, lora_targets=("q_proj", "v_proj"),
                  lr=2e-4, lr_scheduler="cosine", warmup_ratio=0.0, warmup_steps=0, weight_decay=0.0, epochs=3,
                  batch_size=8, gradient_accumulation_steps=4, dtype="bf16", prompt_format=PromptFormat("alpaca"),
                  max_length=1024),
}


def preset(name: str, **overrides) -> TrainConfig:
    """A named preset (``cpu``, ``paper``) with some fields overridden."""
    if name not in PRESETS:
        raise ConfigError(f"unknown training preset {name!r} (presets: {', '.join(PRESETS)})")
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(f"unknown training setting(s) {', '.join(unknown)} (settings: {', '.join(sorted(known))})")
    return TrainConfig(**{**PRESETS[name], **overrides})


@dataclass
class TrainResult:
    model: torch.nn.Module  # the trained model (a PeftModel for LoRA)
    losses: list[float]  # mean training loss of each epoch run (including epochs before a resume)
    epochs_run: int  # epochs completed, counting those before a resume
    stopped_early: bool  # stop_check returned True before the last epoch
    seconds: float  # wall time of this call's training
    tokens_per_second: float | None  # training tokens (prompt + answer, no padding) per second, this call
    n_examples: int
    n_trainable: int
    steps: int  # optimizer steps, counting those before a resume
    effective_batch: int  # batch_size x gradient_accumulation_steps x world size
    peak_memory_bytes: int | None  # see peak_memory_kind
    peak_memory_kind: str | None  # "cuda_max_allocated" (this call), "process_max_rss" (CPU, whole process) or None
    checkpoint: Path | None = None  # the last checkpoint written, if any
    log_history: list[dict] = field(default_factory=list)  # the Trainer's per-step logs (loss, learning_rate, ...)


def encode_examples(tokenizer, examples: Sequence[TrainExample], fmt: PromptFormat, max_length: int) -> list[dict]:
    """One row per example: input_ids and labels (-100 on the prompt). Too long is an error: cutting the
    prompt would teach a question different from the one evaluation asks."""
    rows = []
    for i, ex in enumerate(examples):
        ids, labels = fmt.encode(tokenizer, ex.prompt, ex.answer)
        if len(ids) > max_length:
            longest = max(len(fmt.encode(tokenizer, e.prompt, e.answer)[0]) for e in examples)
            raise ConfigError(f"training example {i} is {len(ids)} tokens, over max_length={max_length} "
                              f"(the longest is {longest}): raise max_length")
        rows.append({"input_ids": ids, "labels": labels})
    return rows


def _bf16_supported(device: torch.device) -> bool:
    """Whether bf16 autocast works on this device (a tiny probe on CPU)."""
    import torch

    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return True  # other accelerators: let transformers decide
    try:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16
    except (RuntimeError, TypeError):
        return False


def _fast_bf16_cpu() -> bool:
    """Whether this CPU computes bf16 natively (AMX or AVX512-BF16), so bf16 autocast pays off."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


AUTO_DTYPE_ENV = "CLIKA_AUTO_DTYPE"  # fp32 | bf16 | fp16: what "auto" stands for, whatever the device


def resolve_dtype(dtype: str, device: str) -> str:
    """The precision "auto" stands for on ``device``: bf16 where it is native, else fp32.

    ``CLIKA_AUTO_DTYPE`` fixes it instead, so that an "auto" run computes in the same precision on any
    CPU (the test suite sets fp32: a trained number must not depend on which CPU runs it)."""
    if dtype != "auto":
        return dtype
    forced = os.environ.get(AUTO_DTYPE_ENV, "").strip()
    if forced:
        if forced not in DTYPES or forced == "auto":
            raise ConfigError(f"{AUTO_DTYPE_ENV}={forced!r}: must be one of fp32, bf16, fp16")
        return forced
    if device.startswith("cuda"):
        import torch

        return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if device == "cpu" and _fast_bf16_cpu() else "fp32"


def _check_precision(config: TrainConfig, model, device: torch.device) -> None:
    import torch

    if config.dtype == "bf16" and not _bf16_supported(device):
        where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"this {device.type}"
        raise ConfigError(f"dtype bf16: {where} cannot compute in bfloat16 (needs an Ampere or newer GPU, "
                          f"or a CPU where torch autocasts to bf16); use dtype fp16 or fp32")
    if config.dtype == "fp16" and device.type == "cpu":
        raise ConfigError("dtype fp16: mixed precision fp16 needs a GPU; on CPU use bf16 or fp32")
    if config.dtype == "fp16" and any(p.dtype == torch.float16 for p in model.parameters() if p.requires_grad):
        raise ConfigError("dtype fp16: the model's weights are float16; load it in float32 for fp16 mixed precision")


def _last_checkpoint(directory) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(str(directory)) if directory is not None and Path(directory).is_dir() else None


def _resume_path(config: TrainConfig) -> str | None:
    if config.resume is False or config.resume is None:
        return None
    where = Path(config.output_dir if config.resume is True else config.resume)
    if (where / "trainer_state.json").is_file():
        return str(where)
    last = _last_checkpoint(where)
    if last is None:
        raise ConfigError("nothing to resume: no checkpoint-<step> folder here", where)
    return last


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def train(model, tokenizer, examples: Sequence[TrainExample], config: TrainConfig | None = None, *,
          stop_check: Callable[[Any, int], bool] | None = None, check_every: int = 1,
          min_epochs: int = 1) -> TrainResult:
    """Fine-tune ``model`` on ``examples`` (wrapped in LoRA unless config.method == "full").

    stop_check(model, epoch) is called, with the model in eval mode, at the end of epoch ``min_epochs``
    and every ``check_every`` epochs after (never after the last epoch: training ends there anyway);
    training stops when it returns True. The LR schedule spans ``config.epochs``, so stopping early
    leaves the LR mid-schedule (with cosine, not yet annealed).
    """
    import torch

    config = config or TrainConfig()
    if not examples:
        raise ConfigError("no training examples")
    if check_every < 1 or min_epochs < 1:
        raise ConfigError("check_every and min_epochs must be >= 1")
    try:
        device = list(model.parameters())[0].device
    except AttributeError:
        raise ConfigError(f"not a torch model: {type(model).__name__}") from None
    if config.dtype == "auto":
        config = replace(config, dtype=resolve_dtype("auto", device.type))
    _check_precision(config, model, device)
    rows = encode_examples(tokenizer, examples, config.prompt_format, config.max_length)
    resume = _resume_path(config)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)

    with contextlib.ExitStack() as stack:
        out = config.output_dir
        if out is None:
            out = stack.enter_context(tempfile.TemporaryDirectory(prefix="clika-train-"))
        trainer = _build_trainer(model, tokenizer, rows, config, str(out), device)
        from clika.conduct.callbacks import Progress, StopCheck  # imports transformers

        progress = Progress(config.progress, config.epochs)
        stack.enter_context(_low_precision_head(trainer.model, config))
        full_precision = stack.enter_context(_low_precision_frozen(trainer.model, config))
        stopper = StopCheck(stop_check, check_every, min_epochs, config.epochs, full_precision)
        trainer.add_callback(progress)
        trainer.add_callback(stopper)
        start = time.perf_counter()
        try:
            _fit(trainer, resume)
        finally:
            progress.close()
        seconds = time.perf_counter() - start
    stopped = stopper.stopped_at is not None
    return _train_result(trainer, config, len(rows), stopped, seconds, progress.tokens_at_start, device)


def _fit(trainer, resume: str | None) -> None:
    """trainer.train, with the errors a user can act on as one line."""
    import torch

    try:
        with warnings.catch_warnings():
            _quiet_deprecation()
            trainer.train(resume_from_checkpoint=resume)
    except torch.OutOfMemoryError:
        raise ConfigError("out of memory while training: lower batch_size (raise gradient_accumulation_steps "
                          "to keep the effective batch) or max_length") from None
    except ValueError as err:  # e.g. a checkpoint that does not fit this model or config
        raise ConfigError(f"training failed: {_first_line(err)}") from None


def _train_result(trainer, config: TrainConfig, n_examples: int, stopped_early: bool, seconds: float,
                  tokens_at_start: int, device) -> TrainResult:
    """What a finished (or stopped) training run gives back, the model in eval mode."""
    trained = trainer.model
    trained.eval()
    state = trainer.state
    history = list(state.log_history)
    tokens = state.num_input_tokens_seen - tokens_at_start
    last = _last_checkpoint(config.output_dir)
    peak, kind = _peak_memory(device)
    return TrainResult(model=trained, losses=epoch_losses(history), epochs_run=int(round(state.epoch or 0)),
                       stopped_early=stopped_early, seconds=seconds,
                       tokens_per_second=tokens / seconds if tokens and seconds > 0 else None, n_examples=n_examples,
                       n_trainable=sum(p.numel() for p in trained.parameters() if p.requires_grad),
                       steps=state.global_step, effective_batch=config.effective_batch(trainer.args.world_size),
                       peak_memory_bytes=peak, peak_memory_kind=kind, checkpoint=Path(last) if last else None,
                       log_history=history)


class _Collate:
    """Left-padded batches, so that every answer ends at the last position: the loss then needs logits
    for the last ``span + 1`` positions only (``logits_to_keep``; span: the longest answer in the batch).
    Position ids follow the attention mask, as in generation, so left padding does not shift positions."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, rows: list[dict]) -> dict:
        import torch

        width = max(len(r["input_ids"]) for r in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for j, r in enumerate(rows):
            start = width - len(r["input_ids"])
            ids[j, start:], labels[j, start:] = torch.tensor(r["input_ids"]), torch.tensor(r["labels"])
            mask[j, start:] = 1
        span = width - int((labels != IGNORE).any(dim=0).nonzero()[0])
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        return dict(input_ids=ids, attention_mask=mask, position_ids=positions, labels=labels, logits_to_keep=span + 1)


class _Pack:
    """The whole batch as one row without padding (``packing``): transformers' ``DataCollatorWithFlattening``
    concatenates the examples and restarts the position ids at each one; given position ids and no attention mask,
    transformers' mask builder (``masking_utils.find_packed_sequence_indices``) makes the causal mask block-diagonal,
    so no token attends across an example boundary (eager and sdpa attention, on the CPU too). A boolean
    ``logits_to_keep`` keeps the logits of exactly the positions that predict an answer token (returned flattened,
    one row per answer token), so neither padding nor a short answer beside a long one costs a pass through the
    262k-row output layer. The loss is the unpacked batch's (tests/conduct/test_conduct_train.py)."""

    def __init__(self):
        from transformers import DataCollatorWithFlattening

        self.flatten = DataCollatorWithFlattening(return_position_ids=True, separator_id=IGNORE)

    def __call__(self, rows: list[dict]) -> dict:
        import torch

        batch = self.flatten(rows)
        predicts_answer = torch.zeros_like(batch["labels"], dtype=torch.bool)
        predicts_answer[:, :-1] = batch["labels"][:, 1:] != IGNORE  # position t predicts token t + 1
        # a cache would switch the packed-sequence mask off (transformers builds it only without one)
        return dict(**batch, logits_to_keep=predicts_answer, use_cache=False)


def _answer_loss(outputs, labels: torch.Tensor, num_items_in_batch=None) -> torch.Tensor:
    """Cross-entropy summed over the answer tokens, divided by the answer tokens of the whole accumulated
    batch (``num_items_in_batch``, counted by the Trainer across accumulation steps and devices), so
    gradient accumulation gives the same update as one big batch.

    Logits come (batch, kept positions, vocab) from ``_Collate`` (the last kept positions of every row),
    or (answer tokens, vocab) from ``_Pack`` (the positions that predict an answer token, in row order)."""
    import torch

    if outputs.logits.dim() == 2:
        logits = outputs.logits.float()
        target = labels[:, 1:][labels[:, 1:] != IGNORE]
    else:
        logits = outputs.logits[:, :-1].float()  # the kept positions; position t predicts token t + 1
        target = labels[:, -logits.shape[1]:]
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                             ignore_index=IGNORE, reduction="sum")
    count = num_items_in_batch if num_items_in_batch is not None else (target != IGNORE).sum()
    return loss / count


def _build_trainer(model, tokenizer, rows: list[dict], config: TrainConfig, out: str, device: torch.device):
    from transformers import PrinterCallback, ProgressCallback, Trainer, TrainingArguments

    # transformers 5.2x renamed gradient_checkpointing to activation_checkpointing (the old name warns)
    # and group_by_length (batches of similar lengths) to train_sampling_strategy="group_by_length"
    names = {f.name for f in fields(TrainingArguments)}
    checkpointing = "activation_checkpointing" if "activation_checkpointing" in names else "gradient_checkpointing"
    grouping = {}
    if config.group_by_length:
        renamed = "train_sampling_strategy" in names
        grouping = {"train_sampling_strategy": "group_by_length"} if renamed else {"group_by_length": True}
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    try:
        args = TrainingArguments(
            output_dir=out, num_train_epochs=config.epochs, per_device_train_batch_size=config.batch_size,
            gradient_accumulation_steps=config.gradient_accumulation_steps, learning_rate=config.lr,
            lr_scheduler_type=config.lr_scheduler, warmup_steps=config.warmup_steps or config.warmup_ratio,
            weight_decay=config.weight_decay, max_grad_norm=config.max_grad_norm, optim=config.optim,
            seed=config.seed, bf16=config.dtype == "bf16", fp16=config.dtype == "fp16", use_cpu=device.type == "cpu",
            save_strategy=config.save_strategy, save_steps=config.save_steps, save_total_limit=config.save_total_limit,
            logging_strategy="steps", logging_steps=1, report_to="none", disable_tqdm=True,
            include_num_input_tokens_seen="non_padding", remove_unused_columns=False, dataloader_num_workers=0,
            **grouping, **{checkpointing: config.gradient_checkpointing})
        if config.method == "lora":
            model = _wrap_lora(model, config)
        collator = _Pack() if config.packing else _Collate(pad_id)
        trainer = Trainer(model=model, args=args, train_dataset=rows, data_collator=collator,
                          compute_loss_func=_answer_loss, processing_class=tokenizer)
    except (ValueError, TypeError, ImportError, NotImplementedError) as err:
        raise ConfigError(f"cannot set up training: {_first_line(err)}") from None
    if trainer.args.n_gpu > 1:
        raise ConfigError(f"{trainer.args.n_gpu} GPUs visible to one process: launch with accelerate launch or "
                          "torchrun for data parallel training, or make one GPU visible (CUDA_VISIBLE_DEVICES)")
    for noisy in (PrinterCallback, ProgressCallback):  # our bar replaces the Trainer's tqdm and log prints
        trainer.remove_callback(noisy)
    return trainer


@functools.cache
def _frozen_head_class():
    """The frozen output layer, cast once to the autocast dtype. Under autocast every step would cast
    Gemma's 262k x 640 output matrix anew (autocast caches casts only of weights that require grad): on
    the CPU that cast and the fp32 product took 40% of a LoRA step (measured: 0.31 -> 0.18 s an example,
    identical losses, since autocast computes the same bf16 product)."""
    import torch

    class FrozenHead(torch.nn.Module):
        def __init__(self, weight, dtype):
            super().__init__()
            self.register_buffer("weight", weight.detach().to(dtype), persistent=False)

        def forward(self, x):
            return torch.nn.functional.linear(x.to(self.weight.dtype), self.weight)

    return FrozenHead


@contextlib.contextmanager
def _low_precision_head(model, config: TrainConfig):
    """While training with bf16/fp16 autocast and a frozen output layer (LoRA), compute the output
    layer with a copy cast once; the original layer is put back afterwards."""
    import torch

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    head = base.get_output_embeddings() if hasattr(base, "get_output_embeddings") else None
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(config.dtype)
    if dtype is None or not isinstance(head, torch.nn.Linear) or head.bias is not None or head.weight.requires_grad:
        yield
        return
    base.set_output_embeddings(_frozen_head_class()(head.weight, dtype))
    try:
        yield
    finally:
        base.set_output_embeddings(head)


@contextlib.contextmanager
def _weights_as(frozen: list, low: bool):
    """Point each frozen weight at its low precision copy (or its full precision data), then back."""
    for weight, full, cast in frozen:
        weight.data = cast if low else full
    try:
        yield
    finally:
        for weight, full, cast in frozen:
            weight.data = full if low else cast


@contextlib.contextmanager
def _low_precision_frozen(model, config: TrainConfig):
    """While training with bf16/fp16 autocast, hold the frozen linear weights (LoRA's base model) in that dtype.
    Autocast casts a weight that needs no gradient anew at every forward (it caches the casts of trainable weights
    only): on Gemma 3 270M that was ~6% of a packed LoRA step on one thread (torch.profiler: copy_ of every 640 x
    2048 matrix). Autocast would compute with exactly these rounded values, so the losses are unchanged. Yields a
    context manager that puts the full precision weights back for a while: the gate check generates without autocast."""
    import torch

    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(config.dtype)
    # an input embedding's weight (tied to the output layer) is read by a lookup autocast leaves alone
    embedded = {id(p) for m in model.modules() if isinstance(m, torch.nn.Embedding) for p in m.parameters()}
    frozen = [] if dtype is None else [
        (m.weight, m.weight.data, m.weight.data.to(dtype)) for m in model.modules()
        if type(m) is torch.nn.Linear and not m.weight.requires_grad and id(m.weight) not in embedded]
    with _weights_as(frozen, True):
        yield functools.partial(_weights_as, frozen, False)


def _wrap_lora(model, config: TrainConfig):
    from peft import LoraConfig, get_peft_model
    from transformers import set_seed

    targets = config.lora_targets if isinstance(config.lora_targets, str) else list(config.lora_targets)
    lora = LoraConfig(r=config.lora_rank, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                      target_modules=targets, task_type="CAUSAL_LM")
    set_seed(config.seed)  # LoRA's A matrices are initialised at random
    with warnings.catch_warnings():
        _quiet_deprecation()
        return get_peft_model(model, lora)


def epoch_losses(history: list[dict]) -> list[float]:
    """Mean of the per-step training losses of each epoch, from the Trainer's log history."""
    by_epoch: dict[int, list[float]] = {}
    for h in history:
        if "loss" in h and "epoch" in h:
            by_epoch.setdefault(max(1, math.ceil(h["epoch"] - 1e-6)), []).append(float(h["loss"]))
    return [sum(v) / len(v) for _, v in sorted(by_epoch.items())]


def _peak_memory(device: torch.device) -> tuple[int | None, str | None]:
    import torch

    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device)), "cuda_max_allocated"
    if device.type != "cpu":
        return None, None
    try:
        import resource

        scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * scale, "process_max_rss"
    except (ImportError, OSError):
        return None, None


def save(model, tokenizer, directory: str | Path) -> Path:
    """The LoRA adapter (peft save_pretrained) or the full model, plus the tokenizer."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


__all__ = ["ALPACA_SYSTEM", "ALPACA_USER", "IGNORE", "PRESETS", "PromptFormat", "TrainConfig", "TrainResult",
           "encode_examples", "epoch_losses", "preset", "save", "train"]
