"""How long `clika report --html` takes against `clika score` of the same predictions, this version
and (optionally) an earlier one, one after the other on this machine.

    .venv/bin/python benchmarks/report_speed.py [--data ../shared/clika-data] [--baseline-src DIR] [--tree]

Scores the 40 shared models once (`clika score`, timed), then times `clika report RECORDS --html`
on those records with this checkout's code and, with --baseline-src (the src/ folder of another
checkout, e.g. `git worktree add /tmp/old HEAD~1` then `--baseline-src /tmp/old/src`), with that
code on the same records file; each report runs in a fresh process. --tree does the same on the
stand-in for the whole upstream tree (46 models, tests/data/upstream_tree.py). Prints each wall
time and its ratio to the time of scoring; the issue's aim is a ratio of at most 3 on the 40
shared models and 60 s on the whole tree.
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
sys.path.insert(0, str(REPO))

CLI = "from clika.cli import main; main()"


def _clika(src: Path | None, *args: str | Path) -> float:
    """Wall seconds of one clika command, run with the code in src (None: this checkout)."""
    env = {**os.environ, "COLUMNS": "200"}
    if src is not None:
        env["PYTHONPATH"] = f"{src}{os.pathsep}{env.get('PYTHONPATH', '')}"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CLI, *map(str, args)], capture_output=True, text=True, env=env,
                          cwd=src.parent if src is not None else REPO)
    wall = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"clika {' '.join(map(str, args))} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return wall


def _bench(name: str, predictions: Path, out: Path, n_boot: int, versions: dict[str, Path | None]) -> None:
    records = out / f"{name}.jsonl"
    score = _clika(None, "score", "--predictions", predictions, "--n-boot", n_boot, "-o", records)
    print(f"{name}: clika score {score:.1f} s")
    for version, src in versions.items():
        wall = _clika(src, "report", records, "-o", out / f"report-{name}-{version}", "--html")
        print(f"{name}: clika report --html ({version}) {wall:.1f} s = {wall / score:.1f} x the score")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "clika-data")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--baseline-src", type=Path, help="src/ of an earlier checkout, timed on the same records")
    parser.add_argument("--tree", action="store_true", help="also the stand-in for the whole upstream tree")
    parser.add_argument("--keep", type=Path, help="keep the outputs here (default: a temporary folder)")
    args = parser.parse_args()
    versions: dict[str, Path | None] = {"this": None}
    if args.baseline_src:
        versions = {"baseline": args.baseline_src.resolve(), **versions}
    print(f"{os.cpu_count()} CPUs; n_boot {args.n_boot}; versions: "
          + ", ".join(f"{v} ({src or REPO / 'src'})" for v, src in versions.items()))
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        _bench("shared40", args.data, out, args.n_boot, versions)
        if args.tree:
            from tests.data.upstream_tree import build_whole_tree

            build_whole_tree(args.data, out / "CLiKA")
            _bench("tree", out / "CLiKA", out, args.n_boot, versions)


if __name__ == "__main__":
    main()
