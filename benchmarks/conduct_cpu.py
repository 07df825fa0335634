"""The conductivity measurement on this CPU: the embedded models, generated facts, the cpu preset.

    .venv/bin/python benchmarks/conduct_cpu.py                       # the README's run (hours on 2 cores)
    .venv/bin/python benchmarks/conduct_cpu.py --facts 12 --max-epochs 2 --plan gemma3-270m:de  # a smoke run

Runs `clika conduct` (the library call) for each model on its targets, with --until-gate, into one
output folder (resumable: rerun the same command after an interruption and finished runs are kept),
then prints per model and target: epochs to the gate (or the maximum), gate parts, acc_l(type 1),
xrr, xrr_ctrl and cd_transfer with 95% intervals and n, overall and by surface-overlap stratum, the
chance level, and the wall times. Meant to run in the background: `nohup ... > cd.log 2>&1 &`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

DEFAULT_PLAN = ("gemma3-270m:de,ru,zh", "smollm2-135m:de,ru")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plan", nargs="+", default=list(DEFAULT_PLAN), help="MODEL:TARGET,TARGET ...")
    parser.add_argument("--facts", type=int, default=48)
    parser.add_argument("--continents", type=int, default=8)
    parser.add_argument("--max-epochs", type=int, default=12)
    parser.add_argument("--gate-min-epochs", type=int, default=6)
    parser.add_argument("--gate-every", type=int, default=2)
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=Path("runs/cd-cpu"))
    args = parser.parse_args()

    from clika.conduct.run import ConductOptions, conduct
    from clika.formatting import format_record

    started = time.perf_counter()
    all_runs = []
    for entry in args.plan:
        model, _, targets = entry.partition(":")
        opts = ConductOptions(targets=tuple(targets.split(",")), output=args.output, models=(model,),
                              n_facts=args.facts, n_continents=args.continents, seed=args.seed,
                              until_gate=True, max_epochs=args.max_epochs, gate_min_epochs=args.gate_min_epochs,
                              gate_every=args.gate_every, preset=args.preset,
                              train_overrides={"progress": True})  # one line per epoch in a log
        t0 = time.perf_counter()
        runs = conduct(opts, log=lambda line: print(line, flush=True))
        print(f"{model}: {len(runs)} target(s) in {time.perf_counter() - t0:.0f} s wall", flush=True)
        all_runs += runs
    print(f"\nchance level of a fact question: 1/{args.continents} = {1 / args.continents:.3f}; "
          f"{args.facts} facts ({args.facts // 2} of each type); total wall {time.perf_counter() - started:.0f} s")
    metrics = ("gate_en_type0", "gate_en_type1", "gate_l_type0", "gate_translation", "acc_l_type1", "xrr",
               "xrr_ctrl", "cd_transfer")
    print("| model | target | stratum | epochs | " + " | ".join(metrics) + " | train s | test s | resumed |")
    print("|" + " --- |" * (len(metrics) + 7))
    for run in all_runs:
        for stratum in (None, "overlap=identical", "overlap=shared_subword", "overlap=none"):
            rec = {r.metric: r for r in run.records if r.stratum == stratum}
            if not rec:
                continue
            cells = [f"{format_record(rec[m])} (n={rec[m].n})" if m in rec else "" for m in metrics]
            print(f"| {run.model} | {run.target} | {stratum or 'all'} | {run.epochs_run} | " + " | ".join(cells)
                  + f" | {run.train_seconds:.0f} | {run.test_seconds:.0f} | {','.join(run.resumed) or '-'} |")


if __name__ == "__main__":
    main()
