"""The conductivity measurement on this CPU: the embedded models, generated facts, the cpu preset.

    .venv/bin/python benchmarks/conduct_cpu.py                  # the README's runs (hours on 2 cores)
    .venv/bin/python benchmarks/conduct_cpu.py --facts 24 --continents 4 --max-epochs 2 \\
        --plan gemma3-270m:de:to-en                             # a smoke run

Each plan entry MODEL:TARGET,TARGET[:NAME_DIRECTION[:SOURCE]] (source en unless given) runs `clika conduct` (the library call) with
--until-gate into OUTPUT/<name direction>/ (resumable: rerun the same command after an
interruption and finished runs are kept), then prints per model and target: epochs to the gate,
the gate parts and the copy rate, acc_l(type 1) with its p-value against chance, xrr, the two
controls, cd_transfer and the control gap with 95% intervals and n, overall and by
subject-overlap stratum, the verdict, and the wall times. Meant to run in the background:
`nohup ... > cd.log 2>&1 &`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

DEFAULT_PLAN = ("gemma3-270m:de,zh:to-en", "gemma3-270m:de:both", "smollm2-135m:de:to-en")
METRICS = ("gate_en_type0", "gate_en_type1", "gate_l_type0", "gate_translation", "name_copy_rate",
           "name_untaught", "multi_answer", "negated_answer", "acc_l_type1", "xrr", "acc_en_subject_strict",
           "xrr_en_subject_strict", "xrr_en_subject", "xrr_en_answer", "cd_transfer", "control_gap_strict",
           "control_gap")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plan", nargs="+", default=list(DEFAULT_PLAN),
                        help="MODEL:TARGET,TARGET[:DIRECTION[:SOURCE]] ...")
    parser.add_argument("--facts", type=int, default=120)
    parser.add_argument("--continents", type=int, default=12)
    parser.add_argument("--max-epochs", type=int, default=24)
    parser.add_argument("--gate-min-epochs", type=int, default=8)
    parser.add_argument("--gate-every", type=int, default=2)
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--gate-prompt", default="native", choices=("native", "english"),
                        help="the gate's held-out name prompt, for every model of the plan alike")
    parser.add_argument("--output", type=Path, default=Path("runs/cd-cpu"))
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default). On a shared "
                        "2-core machine one thread per run is several times faster than two fighting threads.")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    from clika.conduct.run import ConductOptions, conduct
    from clika.formatting import format_record
    from clika.metrics.cd import cd_verdict

    started = time.perf_counter()
    all_runs = []
    for entry in args.plan:
        model, targets, direction, source = (entry.split(":") + ["to-en", "en"][len(entry.split(":")) - 2:])[:4]
        folder = direction if args.gate_prompt == "native" else f"{direction}-gate-{args.gate_prompt}"
        folder += "" if source == "en" else f"-from-{source}"
        opts = ConductOptions(targets=tuple(targets.split(",")), output=args.output / folder, models=(model,),
                              n_facts=args.facts, n_continents=args.continents, name_direction=direction, source=source,
                              seeds=tuple(int(s) for s in args.seeds.split(",")), until_gate=True,
                              gate_prompt=args.gate_prompt,
                              max_epochs=args.max_epochs, gate_min_epochs=args.gate_min_epochs,
                              gate_every=args.gate_every, preset=args.preset,
                              train_overrides={"progress": True})  # one line per epoch in a log
        t0 = time.perf_counter()
        runs = conduct(opts, log=lambda line: print(line, flush=True))
        print(f"{entry}: {len(runs)} target(s) in {time.perf_counter() - t0:.0f} s wall", flush=True)
        all_runs += [(direction, run) for run in runs]
    print(f"\nchance level of a fact question: 1/{args.continents} = {1 / args.continents:.3f}; {args.facts} facts "
          f"({args.facts // 2} of each type) per seed; total wall {time.perf_counter() - started:.0f} s")
    print("| model | target | names | stratum | epochs | " + " | ".join(METRICS) + " | verdict | train s | test s |")
    print("|" + " --- |" * (len(METRICS) + 8))
    for direction, run in all_runs:
        verdict = cd_verdict(run.records)
        for stratum in (None, "overlap=identical", "overlap=cognate", "overlap=none"):
            rec = {r.metric: r for r in run.records if r.stratum == stratum}
            if "xrr" not in rec:
                continue
            cells = []
            for m in METRICS:
                r = rec.get(m)
                p = f", p={r.p_value:.2g}" if r is not None and r.p_value is not None else ""
                cells.append(f"{format_record(r)} (n={r.n}{p})" if r is not None else "")
            label = verdict.label if stratum is None else ""
            print(f"| {run.model} | {run.target} | {direction} | {stratum or 'all'} | {run.epochs_run} | "
                  + " | ".join(cells) + f" | {label} | {run.train_seconds:.0f} | {run.test_seconds:.0f} |")
        # the reason states the margin, the exact upper bound and the detectable accuracy
        print(f"  {run.model} -> {run.target} ({direction}): {verdict.label}: {verdict.reason}")


if __name__ == "__main__":
    main()
