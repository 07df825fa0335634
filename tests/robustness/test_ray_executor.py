"""The Ray executor on a real local Ray cluster (started here, 2 CPUs) with the tiny model:
the same predictions as the local executor; a worker killed with SIGKILL is replaced
and its chunk retried; workers that keep dying end the run with a one-line error,
leaving every finished chunk in the store for the rerun.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from clika.backends.registry import register_backend
from clika.errors import ClikaError, ConfigError
from clika.runner import RunOptions, evaluate
from clika.store import ResultsStore

pytestmark = pytest.mark.slow  # starts a Ray cluster and loads the model in each worker (about a minute)

REPO = Path(__file__).resolve().parents[2]
RUN = dict(tasks=None, langs=["en", "zh"], limit=6, batch_size=2, chunk_size=3, n_boot=0, mode="letter")  # 24 items, 8 chunks


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from tests.backends.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")


@pytest.fixture(scope="module")
def cluster():
    ray = pytest.importorskip("ray")
    # Workers must import tests.robustness.faulty_backend (shipped by reference) like the driver does.
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), old) if p)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()
    if old is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = old


@pytest.fixture(scope="module")
def local_run(tiny_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    return evaluate(RunOptions(model_args={"pretrained": str(tiny_model)}, output_dir=out, **RUN))


def _answers(preds) -> dict:
    return {(p.task, p.lang, p.item_id): (p.choice, p.gold) for p in preds}


def _assert_same_predictions(got, want) -> None:
    assert len(got) == len(want) and _answers(got) == _answers(want)
    scores = {(p.task, p.lang, p.item_id): p.scores for p in want}
    for p in got:
        assert p.scores == pytest.approx(scores[(p.task, p.lang, p.item_id)], abs=1e-4)


@pytest.fixture
def dying_backend(monkeypatch):
    """Registers test backends for one test only (other tests list the known backends)."""
    from clika.backends import registry

    monkeypatch.setattr(registry, "_RUNTIME", dict(registry._RUNTIME))

    class Registrar:
        register = staticmethod(register_backend)

    return Registrar


def test_ray_equals_local_and_resumes(cluster, tiny_model, local_run, tmp_path: Path) -> None:
    result = evaluate(RunOptions(model_args={"pretrained": str(tiny_model)}, output_dir=tmp_path, executor="ray", **RUN))
    assert result.fingerprint == local_run.fingerprint and result.n_scored == 24
    _assert_same_predictions(result.predictions, local_run.predictions)
    assert {(r.task, r.metric, r.lang): r.value for r in result.records} == pytest.approx(
        {(r.task, r.metric, r.lang): r.value for r in local_run.records})
    again = evaluate(RunOptions(model_args={"pretrained": str(tiny_model)}, output_dir=tmp_path, executor="ray", **RUN))
    assert again.n_scored == 0 and again.n_resumed == 24
    with ResultsStore(tmp_path / "results.sqlite", readonly=True) as store:
        assert store.count() == 24  # no duplicates, nothing lost


def test_sigkilled_worker_is_replaced(cluster, tiny_model, local_run, tmp_path: Path) -> None:
    from clika.data import load_items
    from clika.executors.ray_executor import RayExecutor
    from clika.runner import plan_units, select_items
    from clika.tasks import builtin_registry

    items = select_items(load_items("builtin", langs=RUN["langs"]), RUN["limit"])
    executor = RayExecutor("hf", {"pretrained": str(tiny_model)}, batch_size=2, num_workers=2)
    try:
        with ResultsStore(tmp_path / "r.sqlite") as store:
            opts = RunOptions(mode="letter", template="paper", batch_size=2, extract="first-char")
            units, _, _ = plan_units(items, store, executor.fingerprint(), opts, builtin_registry(), chunk_size=3)
        pids = executor.worker_pids()
        got, killed = [], False
        for chunk in executor.run(units):
            got.extend(chunk.predictions)
            if not killed:  # a real kill -9 of a worker process in the middle of the run
                os.kill(pids[0], signal.SIGKILL)
                killed = True
        assert executor.worker_pids()[0] != pids[0]  # Ray restarted it
    finally:
        executor.close()
    _assert_same_predictions(got, local_run.predictions)  # every chunk once: none lost, none twice


def test_task_failing_once_is_retried(cluster, tiny_model, local_run, tmp_path: Path, dying_backend) -> None:
    from tests.robustness.faulty_backend import dying_hf

    dying_backend.register("dying-hf", dying_hf)
    marker = tmp_path / "die"
    marker.touch()
    args = {"pretrained": str(tiny_model), "die_after": 3, "die_marker": str(marker), "die_once": True}
    result = evaluate(RunOptions(model="dying-hf", model_args=args, output_dir=tmp_path, executor="ray", **RUN))
    assert not marker.exists(), "no worker died: the test did not test anything"
    _assert_same_predictions(result.predictions, local_run.predictions)


def test_workers_dying_for_good_keep_finished_chunks(cluster, tiny_model, local_run, tmp_path: Path,
                                                     dying_backend) -> None:
    from tests.robustness.faulty_backend import dying_hf

    dying_backend.register("dying-hf", dying_hf)
    marker = tmp_path / "die"
    marker.touch()  # every worker process dies on its 3rd scoring call, i.e. after one 2-batch chunk
    args = {"pretrained": str(tiny_model), "die_after": 3, "die_marker": str(marker)}
    with pytest.raises(ClikaError) as info:
        evaluate(RunOptions(model="dying-hf", model_args=args, output_dir=tmp_path, executor="ray", **RUN))
    text = str(info.value)
    assert "\n" not in text and "ray" in text.lower(), text
    with ResultsStore(tmp_path / "results.sqlite", readonly=True) as store:
        kept = store.count()
        kept_preds = store.predictions(local_run.fingerprint)
    assert 0 < kept < 24 and kept % 3 == 0  # whole chunks only
    _assert_same_predictions(kept_preds, [p for p in local_run.predictions
                                          if (p.task, p.lang, p.item_id) in _answers(kept_preds)])
    # The rerun (local executor, same weights) scores only what is missing.
    rerun = evaluate(RunOptions(model_args={"pretrained": str(tiny_model)}, output_dir=tmp_path, **RUN))
    assert rerun.n_resumed == kept and rerun.n_scored == 24 - kept
    _assert_same_predictions(rerun.predictions, local_run.predictions)


def test_missing_ray_is_a_config_error(monkeypatch, tiny_model) -> None:
    from clika.executors.ray_executor import RayExecutor

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(ConfigError, match=r"pip install 'clika\[ray\]'"):
        RayExecutor("hf", {"pretrained": str(tiny_model)})


def test_executor_options_are_checked(tiny_model, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown --executor"):
        evaluate(RunOptions(model_args={"pretrained": str(tiny_model)}, output_dir=tmp_path, executor="dask", **RUN))
    with pytest.raises(ConfigError, match="--ray-address needs --executor ray"):
        evaluate(RunOptions(model_args={"pretrained": str(tiny_model)}, output_dir=tmp_path, ray_address="1.2.3.4:6379",
                            **RUN))
