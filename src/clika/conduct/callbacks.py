"""The trainer's two callbacks: the stop check at the end of an epoch (the mastery gate of `clika
conduct --until-gate`) and the progress bar. A module of its own because it imports transformers;
clika.conduct.train imports it inside train()."""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable

import torch
from transformers import TrainerCallback


class StopCheck(TrainerCallback):
    """At the end of an epoch, ask stop_check whether to stop (rank 0 decides for all ranks)."""

    def __init__(self, stop_check, check_every: int, min_epochs: int, max_epochs: int,
                 full_precision: Callable = contextlib.nullcontext):
        self.stop_check, self.check_every = stop_check, check_every
        self.min_epochs, self.max_epochs = min_epochs, max_epochs
        self.full_precision = full_precision  # the check asks the model as evaluation does
        self.stopped_at: int | None = None

    def on_epoch_end(self, args, state, control, model=None, **kwargs):
        epoch = int(round(state.epoch))
        due = epoch >= self.min_epochs and (epoch - self.min_epochs) % self.check_every == 0
        if self.stop_check is None or not due or epoch >= self.max_epochs:
            return control
        was_training = model.training
        model.eval()
        try:
            with self.full_precision():
                stop = bool(self.stop_check(model, epoch))
        finally:
            model.train(was_training)
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            from accelerate.utils import broadcast_object_list

            stop = bool(broadcast_object_list([stop], from_process=0)[0])
        if stop:
            self.stopped_at = epoch
            control.should_training_stop = True
        return control


class Progress(TrainerCallback):
    """A rich progress bar with the running epoch loss; one line per epoch when stderr is not a terminal."""

    def __init__(self, enabled: bool, epochs: int):
        self.enabled, self.epochs = enabled, epochs
        self.bar = self.task = None
        self.epoch_losses: list[float] = []
        self.tokens_at_start = 0

    def on_train_begin(self, args, state, control, **kwargs):
        self.tokens_at_start = state.num_input_tokens_seen  # after a resume: the tokens seen before
        if not self.enabled or not state.is_world_process_zero or not sys.stderr.isatty():
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        fields = TextColumn("epoch {task.fields[epoch]}/{task.fields[epochs]}  loss {task.fields[loss]:.4f}")
        self.bar = Progress(TextColumn("training"), BarColumn(), MofNCompleteColumn(), fields, TimeElapsedColumn(),
                            console=Console(stderr=True))
        self.bar.start()
        self.task = self.bar.add_task("train", total=state.max_steps, completed=state.global_step,
                                      epoch=int(state.epoch or 0) + 1, epochs=self.epochs, loss=float("nan"))

    def on_epoch_begin(self, args, state, control, **kwargs):
        self.epoch_losses = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.epoch_losses.append(float(logs["loss"]))
            if self.bar is not None:
                epoch = min(self.epochs, max(1, math.ceil((state.epoch or 0) - 1e-6)))
                loss = sum(self.epoch_losses) / len(self.epoch_losses)
                self.bar.update(self.task, completed=state.global_step, epoch=epoch, loss=loss)

    def on_epoch_end(self, args, state, control, **kwargs):
        if self.enabled and self.bar is None and state.is_world_process_zero and self.epoch_losses:
            loss = sum(self.epoch_losses) / len(self.epoch_losses)
            print(f"epoch {int(round(state.epoch))}/{self.epochs}: loss {loss:.4f}", file=sys.stderr, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
