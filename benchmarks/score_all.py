"""Time `clika score` on the whole upstream set: 40 models x 4 tasks x 10 languages, 1000 resamples.

    .venv/bin/python benchmarks/score_all.py [--data ../shared/clika-data] [--n-boot 1000] [--repeat 1]

Runs it twice: in-process through clika.api.score (wall time by phase: read /
compute / write), then through the real command line in a subprocess (total
wall time, interpreter start-up and imports included). Target: < 30 s each on
a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_S = 30.0


def _in_process(data: Path, out: Path, n_boot: int) -> dict[str, float]:
    from clika import api

    start = time.perf_counter()
    result = api.score(api.ScoreOptions(data, layout="clika-repo", n_boot=n_boot, output=out))
    total = time.perf_counter() - start
    models = {r.model for r in result.records}
    tasks = {r.task for r in result.records}
    print(f"  {result.n_predictions} predictions, {len(models)} models, {len(tasks)} tasks "
          f"-> {len(result.records)} records")
    return {**result.timings, "total": total}


def _cli(data: Path, out: Path, n_boot: int) -> float:
    clika = Path(sys.executable).with_name("clika")
    cmd = [str(clika), "score", "--predictions", str(data), "--layout", "clika-repo",
           "--n-boot", str(n_boot), "--output", str(out)]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "COLUMNS": "120"})
    total = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"clika score failed ({done.returncode}): {done.stderr.strip()}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "clika-data")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if not (args.data / "x_geo").is_dir():
        sys.exit(f"no upstream data at {args.data} (pass --data)")

    with tempfile.TemporaryDirectory() as tmp:
        for run in range(1, args.repeat + 1):
            print(f"run {run}: in-process (clika.api.score), n_boot={args.n_boot}")
            t = _in_process(args.data, Path(tmp) / "metrics.jsonl", args.n_boot)
            print("  " + "  ".join(f"{k} {v:.2f}s" for k, v in t.items()))
            cli_total = _cli(args.data, Path(tmp) / "metrics_cli.jsonl", args.n_boot)
            print(f"run {run}: command line (clika score ... --output metrics.jsonl): total {cli_total:.2f}s")
            worst = max(t["total"], cli_total)
            print(f"  target < {TARGET_S:.0f}s: {'met' if worst < TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    main()
