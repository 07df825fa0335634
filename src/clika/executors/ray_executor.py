"""The Ray executor: work units scored by backend actors spread over a Ray cluster.

Each worker is an actor that builds the backend once and scores chunks (the same store-sized pieces the local
executor scores, with the same batching, so the predictions are the same). The driver keeps at most ``depth``
chunks in flight per worker and yields each chunk's predictions the moment ``ray.wait`` says it is done; only the
driver writes the store, one chunk per transaction, so a worker that dies loses nothing already returned, and a
rerun scores only what is missing.

Failures:
- a worker process that dies (killed, out of memory, node lost) is restarted by Ray and its pending chunks are
  retried (``max_restarts`` / ``max_task_retries``); a worker that stays dead is dropped and its chunk goes to
  another worker, up to ``max_chunk_attempts`` tries per chunk;
- a ClikaError raised in a worker (e.g. the OpenAI backend gave up after its own retries) is not retried: the
  driver stops submitting, collects every chunk still in flight, then raises that error as the one-line error it is.

Ray is imported only when this executor is chosen (``pip install 'clika[ray]'``).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from clika.errors import BackendError, ClikaError, ConfigError
from clika.executors import ChunkResult, WorkUnit


class ScoringWorker:
    """One backend in one Ray worker process (wrapped with ray.remote at run time)."""

    def __init__(self, model: str, model_args: dict[str, Any], device: str | None, batch_size: int | None,
                 factory: Any = None):
        from clika.backends.registry import make_backend, register_backend

        if factory is not None:  # a backend registered in the driver only: ship its factory
            register_backend(model, factory)
        self.backend = make_backend(model, model_args, device=device, batch_size=batch_size)

    def fingerprint(self) -> str:
        return self.backend.fingerprint()

    def pid(self) -> int:
        return os.getpid()

    def choose(self, chunk: WorkUnit) -> ChunkResult:
        return chunk.choose(self.backend)


@dataclass
class _Job:
    chunk: WorkUnit
    attempts: int = 0


def _cause(err: BaseException) -> BaseException:
    """The worker's own exception inside a RayTaskError (or the error itself)."""
    return getattr(err, "cause", None) or err


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[-1] if text else ''}"[:300]


class RayExecutor:
    """Scores units on Ray actors; the driver (the runner) writes every returned chunk."""

    def __init__(self, model: str, model_args: dict[str, Any] | None = None, *, device: str | None = "cpu",
                 batch_size: int | None = None, address: str | None = None, num_workers: int | None = None,
                 cpus_per_worker: float = 1.0, gpus_per_worker: float | None = None, depth: int = 2,
                 max_restarts: int = 2, max_chunk_attempts: int = 3):
        from clika.backends import registry

        try:
            import ray
        except ImportError:
            raise ConfigError("the ray executor needs Ray: pip install 'clika[ray]'") from None
        self._ray = ray
        if depth < 1 or max_chunk_attempts < 1 or (num_workers is not None and num_workers < 1):
            raise ConfigError("ray executor: depth, max_chunk_attempts and num_workers must be >= 1")
        self._started_ray = not ray.is_initialized()
        if self._started_ray:
            try:  # no address: a local cluster on this machine; else join the named one
                quiet = {"log_to_driver": False, "logging_level": logging.WARNING, "configure_logging": False}
                ray.init(address=address, include_dashboard=False, **quiet)
            except Exception as err:  # ConnectionError, ValueError, RuntimeError... all mean "cannot reach it"
                msg = str(err).splitlines()[0] if str(err) else type(err).__name__
                raise ConfigError(f"cannot start or join the Ray cluster at {address or 'local'}: {msg}") from None
        if gpus_per_worker is None:
            gpus_per_worker = 1.0 if str(device or "").startswith("cuda") else 0.0
        if num_workers is None:
            resources = ray.cluster_resources()
            by_cpu = int(resources.get("CPU", 1) // max(cpus_per_worker, 1e-9))
            by_gpu = int(resources.get("GPU", 0) // gpus_per_worker) if gpus_per_worker else by_cpu
            num_workers = max(1, min(by_cpu, by_gpu))
        self.depth, self.max_chunk_attempts = depth, max_chunk_attempts
        # A backend a worker finds by name (built-in or an entry point) is built there by name;
        # one registered only in this process has its factory shipped to the workers.
        info = registry.backend_info(model)
        factory = None if registry.discoverable(model) else info.factory()
        restarts = {"max_restarts": max_restarts, "max_task_retries": max_restarts}
        remote = ray.remote(num_cpus=cpus_per_worker, num_gpus=gpus_per_worker, **restarts)(ScoringWorker)
        args = registry.parse_model_args(model_args)
        self._workers = [remote.remote(model, args, device, batch_size, factory) for _ in range(num_workers)]
        self._fingerprint: str | None = None

    def fingerprint(self) -> str:
        """The backend's fingerprint, asked of a worker (the driver never loads the model)."""
        if self._fingerprint is None:
            self._fingerprint = self._get(self._workers[0].fingerprint.remote(), "loading the model")
        return self._fingerprint

    def worker_pids(self) -> list[int]:
        return [self._get(w.pid.remote(), "asking a worker its pid") for w in self._workers]

    def _get(self, ref: Any, what: str) -> Any:
        try:
            return self._ray.get(ref)
        except self._ray.exceptions.RayError as err:
            cause = _cause(err)
            if isinstance(cause, ClikaError):
                raise cause from None
            raise BackendError(f"ray worker failed while {what}: {_one_line(cause)}") from None

    def run(self, units: Sequence[WorkUnit]) -> Iterator[ChunkResult]:
        """Yield each chunk's predictions as soon as any worker finishes it."""
        ray = self._ray
        queue = deque(_Job(chunk) for unit in units for chunk in unit.chunks())
        alive = list(self._workers)
        in_flight: dict[Any, tuple[Any, _Job]] = {}  # object ref -> (worker, job)
        failure: ClikaError | None = None

        def submit() -> None:
            for worker in alive:
                busy = sum(w is worker for w, _ in in_flight.values())
                while queue and failure is None and busy < self.depth:
                    job = queue.popleft()
                    job.attempts += 1
                    in_flight[worker.choose.remote(job.chunk)] = (worker, job)
                    busy += 1

        submit()
        while in_flight:
            (ref,), _ = ray.wait(list(in_flight), num_returns=1)
            worker, job = in_flight.pop(ref)
            try:
                result = ray.get(ref)
            except ray.exceptions.RayError as err:
                failure = failure or self._handle(err, worker, job, alive, queue)
            else:
                yield result
            if not alive and queue and failure is None:
                lost = f"every Ray worker died; {len(queue)} chunk(s) were not scored"
                failure = BackendError(f"{lost} (finished chunks are stored: rerun the same command to resume)")
            submit()
        if failure is not None:
            raise failure

    def _handle(self, err: BaseException, worker: Any, job: _Job, alive: list, queue: deque) -> ClikaError | None:
        """Requeue a chunk whose worker died; return the error that ends the run, if any."""
        cause = _cause(err)
        if isinstance(cause, ClikaError):  # the backend's own verdict: retrying will not help
            return cause
        if isinstance(err, self._ray.exceptions.RayActorError) and worker in alive:
            alive.remove(worker)  # Ray gave up restarting it
        if job.attempts >= self.max_chunk_attempts:
            where = f"{job.chunk.task}/{job.chunk.lang}"
            return BackendError(f"ray: chunk of {where} failed {job.attempts} times; last: {_one_line(cause)}")
        queue.appendleft(job)
        return None

    def close(self) -> None:
        for worker in self._workers:
            with contextlib.suppress(Exception):  # already gone
                self._ray.kill(worker)
        self._workers = []
        if self._started_ray and self._ray.is_initialized():
            self._ray.shutdown()
