"""Reliability benchmark: kills, faulty servers, full disks and bad inputs, counted.

    .venv/bin/python benchmarks/reliability.py [--bad-inputs 400]

Scenarios (the same machinery as tests/robustness/):
- kills: `clika run` (tiny model) is SIGKILLed inside model loading, inside a
  forward pass, inside a store transaction (and twice in a row), or stopped by
  a file-size limit; the same command is rerun. Survived = the final
  predictions.jsonl and metrics.jsonl equal an uninterrupted run's.
- fault responses: an OpenAI-compatible server on 127.0.0.1 answers 429, 500,
  503, malformed JSON, JSON of the wrong shape, truncated bodies and stalls,
  first transiently (must change nothing), then for good (must end in one
  line, keep whole chunks, and the rerun must complete with the same answers).
- bad inputs: fuzzed broken files for every loader (mutated records,
  truncated lines, latin-1, UTF-16, random bytes), plus a few through the CLI.
  Clean = a one-line ClikaError naming the file (CLI: exit 1, one stderr line); in
  an upstream tree a broken prediction file is instead skipped with a report naming
  the file and its first bad line (tests/robustness/formats.py turns that report into
  the error counted here).
Predictions lost / duplicated are counted over every kill and fault scenario.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.robustness import test_kill_resume as kills  # noqa: E402
from tests.robustness.faulty_openai import FAULTS, FaultyOpenAIServer  # noqa: E402


def _keys(out: Path) -> list[tuple]:
    path = out / "predictions.jsonl"
    if not path.is_file():
        return []
    return [(r["task"], r["lang"], r["item_id"]) for r in map(json.loads, path.read_text().splitlines())]


def _tally(out: Path, baseline: Path) -> tuple[int, int]:
    """(lost, duplicated) predictions of a finished run against the uninterrupted one."""
    got, want = Counter(_keys(out)), set(_keys(baseline))
    rows = [r[:3] for r in kills.store_rows(out)]
    lost = len(want - set(got)) + len(want - set(rows))
    duplicated = sum(n - 1 for n in got.values()) + len(rows) - len(set(rows))
    return lost, duplicated


def run_kills(tmp: Path) -> dict[str, int]:
    from tests.backends.tiny_model import build_tiny_model

    model = build_tiny_model(tmp / "tiny-llama")
    baseline = tmp / "baseline"
    kills.clika(kills.run_args(model, baseline))
    scenarios = [["load"], ["batch:3"], ["batch:9"], ["write:1"], ["write:5"], ["write:2", "batch:3"],
                 ["batch:1", "load", "write:1"]]
    stats = Counter()
    for i, points in enumerate(scenarios):
        out, work = tmp / f"k{i}", tmp / f"w{i}"
        work.mkdir()
        for point in points:
            kills.kill_at(point, kills.run_args(model, out), work)
            stats["kills"] += 1
        kills.clika(kills.run_args(model, out))
        lost, dup = _tally(out, baseline)
        same = all((out / n).read_text() == (baseline / n).read_text() for n in ("predictions.jsonl", "metrics.jsonl"))
        stats["survived"] += len(points) if same and not lost and not dup else 0
        stats["lost"] += lost
        stats["duplicated"] += dup
    # A file-size limit (what a full disk looks like to the process) in the middle of the run.
    import resource

    out = tmp / "fsize"
    limit = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (70_000, 70_000))  # noqa: E731
    proc = subprocess.run([sys.executable, str(kills.KILL_POINTS), *kills.run_args(model, out)], preexec_fn=limit,
                          capture_output=True, text=True, cwd=REPO)
    one_line = proc.returncode == 1 and "Traceback" not in proc.stderr and \
        sum(ln.startswith("error:") for ln in proc.stderr.splitlines()) == 1
    kills.clika(kills.run_args(model, out))
    lost, dup = _tally(out, baseline)
    stats["disk_full"] += 1
    stats["disk_full_survived"] += int(one_line and not lost and not dup and
                                       (out / "predictions.jsonl").read_text() ==
                                       (baseline / "predictions.jsonl").read_text())
    stats["lost"] += lost
    stats["duplicated"] += dup
    return dict(stats)


def run_faults(tmp: Path) -> dict[str, int]:
    from clika.errors import BackendError
    from clika.runner import RunOptions
    from clika.runner import evaluate as _evaluate
    from clika.store import ResultsStore

    def evaluate(**kwargs):
        return _evaluate(RunOptions(**kwargs))

    run = dict(langs=["en", "zh"], limit=8, batch_size=4, chunk_size=4, n_boot=0, mode="letter")

    def args(server: FaultyOpenAIServer) -> dict:
        return {"model": "fake-gpt", "base_url": server.url, "max_retries": 2, "retry_base_delay": 0.005,
                "timeout": 0.4, "max_concurrency": 2}

    def answers(preds) -> dict:
        return {(p.task, p.lang, p.item_id): (p.choice, p.scores) for p in preds}

    with FaultyOpenAIServer() as server:
        want = answers(evaluate(model="openai", model_args=args(server), output_dir=tmp / "base", **run).predictions)
    stats = Counter()
    for fault in FAULTS:
        counts: Counter = Counter()

        def transient(index: int, body: dict, fault=fault, counts=counts):  # every prompt fails twice, then works
            counts[body["prompt"]] += 1
            return fault if counts[body["prompt"]] <= 2 else None

        out = tmp / f"t-{fault}"
        with FaultyOpenAIServer(transient, stall_s=0.6) as server:
            got = evaluate(model="openai", model_args=args(server), output_dir=out, **run).predictions
            stats["responses"] += server.n_faults
            stats["survived"] += server.n_faults if answers(got) == want else 0
        stats["lost"] += len(set(want) - set(answers(got)))
        stats["duplicated"] += len(got) - len(answers(got))

        out = tmp / f"o-{fault}"
        with FaultyOpenAIServer(lambda index, body, fault=fault: fault if index >= 10 else None, stall_s=0.6) as server:
            try:
                evaluate(model="openai", model_args=args(server), output_dir=out, **run)
                clean = False
            except BackendError as err:
                clean = "\n" not in str(err)
            outage_faults = server.n_faults
            with ResultsStore(out / "results.sqlite", readonly=True) as store:
                kept = store.count()
            server.faults = lambda index, body: None
            rerun = evaluate(model="openai", model_args=args(server), output_dir=out, **run)
        with ResultsStore(out / "results.sqlite", readonly=True) as store:
            rows = store.count()
        ok = clean and kept % 4 == 0 and rerun.n_scored == len(want) - kept and answers(rerun.predictions) == want
        stats["responses"] += outage_faults
        stats["survived"] += outage_faults if ok else 0
        stats["lost"] += len(set(want) - set(answers(rerun.predictions)))
        stats["duplicated"] += len(rerun.predictions) - len(answers(rerun.predictions)) + rows - len(want)
    return dict(stats)


def run_bad_inputs(n: int) -> dict[str, int]:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from clika.errors import ClikaError
    from tests.robustness.formats import ALL_FORMATS
    from tests.robustness.fuzzing import mutate

    stats = Counter()

    @settings(max_examples=n, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data(), fmt=st.sampled_from(ALL_FORMATS),
           kind=st.sampled_from(["mutated", "truncated", "latin-1", "utf-16", "random-bytes"]))
    def trial(data, fmt, kind) -> None:
        records = [fmt.record(data.draw, i)[0] for i in range(data.draw(st.integers(1, 5)))]
        if kind == "mutated":
            k = data.draw(st.integers(0, len(records) - 1))
            records[k] = mutate(data.draw, records[k], fmt.rules, fmt.optional)
        lines = [json.dumps(r, ensure_ascii=False) for r in records]
        if kind == "latin-1":
            lines[0] = lines[0][:-1] + ', "zz_note": "café"}'
        content = ("\n".join(lines) + "\n").encode("utf-8")
        if kind == "truncated":
            raw = lines[-1].encode("utf-8")
            content = ("\n".join(lines[:-1]) + "\n").encode("utf-8").lstrip(b"\n") + raw[: len(raw) // 2]
        elif kind == "latin-1":
            content = "\n".join(lines).encode("latin-1", errors="backslashreplace")
        elif kind == "utf-16":
            content = "\n".join(lines).encode("utf-16")
        elif kind == "random-bytes":
            content = data.draw(st.binary(min_size=1, max_size=300).filter(lambda b: b.strip()))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / fmt.relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            stats["tried"] += 1
            try:
                fmt.load(Path(tmp))
                stats["accepted"] += 1  # a broken file loaded as if it were fine
            except ClikaError as err:
                named = err.path is not None and Path(err.path) == path and "\n" not in str(err)
                stats["clean"] += named
                stats["unclean"] += not named
            except Exception:  # noqa: BLE001 -- counted, never hidden
                stats["crashed"] += 1

    trial()
    stats.update(_cli_bad_inputs())
    return dict(stats)


def _cli_bad_inputs() -> Counter:
    """A few bad inputs through the real `clika score` and `clika report`."""
    stats: Counter = Counter()
    clika = str(Path(sys.executable).parent / "clika")
    cases = [b"\xff\xfe{\x00}\x00", b'{"model": "m"}\n', b"not json\n", "{\"é\": 1}".encode("latin-1"), b"[1]\n"]
    with tempfile.TemporaryDirectory() as tmp:
        for i, content in enumerate(cases):
            for command in ("score", "report"):
                path = Path(tmp) / f"{i}-{command}" / ("predictions.jsonl" if command == "score" else "metrics.jsonl")
                path.parent.mkdir()
                path.write_bytes(content)
                args = ["score", "--predictions", str(path), "--layout", "clika", "--output", str(path.parent / "o.jsonl")] \
                    if command == "score" else ["report", str(path), "-o", str(path.parent / "rep")]
                proc = subprocess.run([clika, *args], capture_output=True, text=True)
                lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
                stats["tried"] += 1
                stats["clean"] += proc.returncode == 1 and len(lines) == 1 and str(path) in lines[0]
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bad-inputs", type=int, default=400, help="fuzzed bad files to try")
    opts = parser.parse_args()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        k = run_kills(Path(tmp) / "kills")
        f = run_faults(Path(tmp) / "faults")
    b = run_bad_inputs(opts.bad_inputs)
    lost, dup = k.get("lost", 0) + f.get("lost", 0), k.get("duplicated", 0) + f.get("duplicated", 0)
    print(f"kills survived:           {k.get('survived', 0)} / {k.get('kills', 0)} "
          f"(SIGKILL in model loading, mid-batch, mid-transaction; 7 scenarios)")
    print(f"disk-full runs survived:  {k.get('disk_full_survived', 0)} / {k.get('disk_full', 0)} (RLIMIT_FSIZE mid-run)")
    print(f"fault responses survived: {f.get('survived', 0)} / {f.get('responses', 0)} "
          f"({', '.join(map(str, FAULTS))}; transient and persistent)")
    print(f"bad inputs tried:         {b.get('tried', 0)}; clean one-line errors: {b.get('clean', 0)}; "
          f"unclean errors: {b.get('unclean', 0)}; crashes: {b.get('crashed', 0)}; accepted: {b.get('accepted', 0)}")
    print(f"predictions lost:         {lost}")
    print(f"predictions duplicated:   {dup}")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
