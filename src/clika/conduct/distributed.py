"""Which process of a multi-process run (``torchrun``, ``accelerate launch``) this is.

The Trainer trains with DDP on every process; everything else a conductivity run does to disk (the fictional set,
manifests, the adapter, predictions, metrics, the report) is done by the main process only, as the Trainer itself saves
checkpoints only there. Both launchers set ``RANK`` and ``WORLD_SIZE`` before Python starts, so the answer is known
before the Trainer creates the process group; once it exists, the group's own rank is used. Rank 0 is the main process
(accelerate's ``PartialState.is_main_process``, the Trainer's ``is_world_process_zero``).
"""

from __future__ import annotations

import os
import sys


def _group():
    """torch.distributed when a process group is initialised, else None (torch imported only then)."""
    dist = getattr(sys.modules.get("torch"), "distributed", None)
    return dist if dist is not None and dist.is_available() and dist.is_initialized() else None


def rank() -> int:
    dist = _group()
    return dist.get_rank() if dist is not None else int(os.environ.get("RANK", "0"))


def world_size() -> int:
    dist = _group()
    return dist.get_world_size() if dist is not None else int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    """True in a plain single process, and on rank 0 of a launched multi-process run."""
    return rank() == 0


def barrier() -> None:
    """Wait for every process (a no-op without a process group)."""
    dist = _group()
    if dist is not None and dist.get_world_size() > 1:
        dist.barrier()
