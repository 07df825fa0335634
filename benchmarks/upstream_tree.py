"""`clika score` and `clika report` on a stand-in for the whole upstream repository at the pinned commit.

    .venv/bin/python benchmarks/upstream_tree.py [--data ../shared/clika-data] [--n-boot 1000] [--keep DIR]

Builds, in a temporary folder, every file of upstream-tree.tsv (2,024 files: 1,851 `_res` files of 46
models and three variants, item files, model inputs, scripts): files the shared data has (the 40
models' predictions, the item files, the model inputs) are links to it; the 6 models it lacks and the
zero-shot chatgpt runs are stand-ins with another shared model's answers, the 9 `_res_visual` files
plain-text dumps, and the rest empty placeholders (tests/data/upstream_tree.py). Then runs
`clika score --predictions TREE` and `clika report` on its records, and prints the exit codes, the
wall times, the coverage summary the commands print, and what the leaderboard did with the complete
models and the partial variants.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.data.upstream_tree import build_whole_tree  # noqa: E402


def _clika(*args: str | Path) -> tuple[subprocess.CompletedProcess, float]:
    clika = Path(sys.executable).with_name("clika")
    start = time.perf_counter()
    done = subprocess.run([str(clika), *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"})
    return done, time.perf_counter() - start


def _leaderboard(path: Path) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    by = {(r["model"], r["task"]): r for r in rows}
    overall = [r for r in rows if r["task"] == "overall"]
    valued = [r for r in overall if r["en_co"]]
    worst = 0.0
    for r in valued:
        tasks = [t for (m, t) in by if m == r["model"] and t != "overall"]
        for col in ("accuracy_en", "ra", "en_co"):
            mean = sum(float(by[(r["model"], t)][col]) for t in tasks) / len(tasks)
            worst = max(worst, abs(mean - float(r[col])))
    print(f"leaderboard: {len(overall)} overall rows; {len(valued)} with a value (largest difference from the mean "
          f"of the model's task rows: {worst:.1e}), {sum(bool(r['rank']) for r in overall)} ranked")
    for r in overall:
        if not r["en_co"]:
            tasks = {t: by[(r["model"], t)] for (m, t) in by if m == r["model"] and t != "overall"}
            print(f"  {r['model']}: no overall value, unranked ({r['note']}); task rows: "
                  + "; ".join(f"{t} rank {row['rank'] or '-'}, flags: {row['flags']}" for t, row in tasks.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "clika-data")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="build the tree and the outputs here (default: a temporary folder)")
    args = parser.parse_args()
    if not (args.data / "upstream-tree.tsv").is_file():
        sys.exit(f"no upstream-tree.tsv in {args.data} (pass --data)")
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        tree, out = base / "CLiKA", base / "out"
        made = build_whole_tree(args.data, tree)
        print("tree: " + ", ".join(f"{n} {what}" for what, n in made.items()))
        done, wall = _clika("score", "--predictions", tree, "--n-boot", args.n_boot, "-o", out / "upstream.jsonl")
        print(f"$ clika score --predictions TREE -o out/upstream.jsonl  -> exit {done.returncode}, {wall:.1f} s")
        print(done.stderr.strip())
        if done.returncode:
            sys.exit(1)
        done, wall = _clika("report", out / "upstream.jsonl", "-o", out / "report")
        print(f"$ clika report out/upstream.jsonl -o out/report  -> exit {done.returncode}, {wall:.1f} s")
        if done.returncode:
            sys.exit(done.stderr.strip())
        _leaderboard(out / "report" / "leaderboard.csv")


if __name__ == "__main__":
    main()
