"""Today's trainer against the fast one, to the mastery gate on this CPU, one after the other.

    nohup .venv/bin/python benchmarks/conduct_speed.py --output runs/speed > speed.log 2>&1 &
    .venv/bin/python benchmarks/conduct_speed.py --facts 24 --configs new --new-max-epochs 2   # a smoke run
    .venv/bin/python benchmarks/conduct_speed.py --per-step 12   # seconds a training step, old then new

--per-step N times N training steps of each configuration on the same batches' data (after 3
warm-up steps; no gate, no test): the cost of a step without the epochs it takes to learn.

Both configurations train the embedded Gemma 3 270M on the same generated facts (--facts, seed
--seed, target --target, names to-en) with `clika conduct --until-gate` (the library call, gate
0.9 on the held-out prompts), each in OUTPUT/<config>/ (resumable: rerun the same command after
an interruption; a finished configuration is read back from its timing.json). Printed for each:
the wall time to the gate, split into training and gate checks (the checks during training and
the final test), the epochs, the gate parts, acc_l_type1, xrr, xrr_en_subject and xrr_en_answer
with 95% intervals and n.

To time today's trainer exactly as it was, run the old configuration from a worktree of the commit
before the packed trainer (fb564a3): `git worktree add /tmp/old fb564a3` and
`PYTHONPATH=/tmp/old/src .venv/bin/python benchmarks/conduct_speed.py --configs old`.

old: the cpu preset as it was before issue 23 (batch 8 padded to its longest example, lr 1e-3
     cosine over the 24 epochs, the gate from epoch 8 every 2: the README's measurement).
new: the cpu preset now (packed batches, see clika.conduct.train.TrainConfig) with its own gate
     cadence (--new-max-epochs, --new-gate-min-epochs, --new-gate-every).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

# The cpu preset before issue 23, spelt out so that it stays measurable whatever the preset becomes.
OLD_TRAIN = dict(packing=False, batch_size=8, lr=1e-3, lr_scheduler="cosine", warmup_ratio=0.0, warmup_steps=0,
                 group_by_length=True, lora_rank=16, lora_alpha=32, method="lora")
METRICS = ("gate_en_type0", "gate_en_type1", "gate_l_type0", "gate_translation", "acc_l_type1", "xrr",
           "xrr_en_subject", "xrr_en_answer")
GATE_LINE = re.compile(r"epoch (\d+): mastery gate (holds|not yet) \((\d+) s to test\)")


def run_config(name: str, args, train: dict, max_epochs: int, gate_min: int, gate_every: int) -> dict:
    from clika.conduct.run import ConductOptions, conduct

    out = args.output / name
    timing = out / "timing.json"
    if timing.is_file():
        print(f"{name}: finished earlier, read from {timing}", flush=True)
        return json.loads(timing.read_text(encoding="utf-8"))
    checks: list[tuple[int, bool, int]] = []

    def log(line: str) -> None:
        print(f"[{name} {time.strftime('%H:%M:%S')}] {line}", flush=True)
        if m := GATE_LINE.search(line):
            checks.append((int(m[1]), m[2] == "holds", int(m[3])))

    opts = ConductOptions(targets=(args.target,), output=out, n_facts=args.facts, n_continents=args.continents,
                          seeds=(args.seed,), until_gate=True, max_epochs=max_epochs, gate_min_epochs=gate_min,
                          gate_every=gate_every, preset="cpu", train_overrides={**train, "progress": True},
                          gate_prompt=args.gate_prompt)
    start = time.perf_counter()
    (run,) = conduct(opts, log=log)
    wall = time.perf_counter() - start
    gate_s = sum(s for _, _, s in checks)
    records = {r.metric: r for r in run.records if r.stratum is None}
    result = {
        "config": name, "train_overrides": train, "max_epochs": max_epochs, "gate_schedule": [gate_min, gate_every],
        "wall_s": wall, "train_s": run.train_seconds - gate_s, "gate_checks": checks, "gate_check_s": gate_s,
        # the final test is asked only when training ended without a passing check (else that check's answers are it)
        "final_test_s": run.test_seconds if not run.stopped_early else 0.0, "epochs": run.epochs_run,
        "stopped_at_gate": run.stopped_early, "resumed": run.resumed, "losses": run.losses,
        "metrics": {m: {"value": r.value, "ci": [r.ci_low, r.ci_high], "n": r.n}
                    for m in METRICS if (r := records.get(m)) is not None},
    }  # fmt: skip
    if run.resumed or not checks and run.stopped_early:
        result["note"] = "resumed: the wall and gate-check times cover only the last session"
    timing.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return result


def per_step(name: str, args, train: dict, n_steps: int) -> float:
    """Seconds per training step of one configuration (the Trainer built as a run builds it)."""
    import contextlib
    import tempfile

    import torch

    from clika.conduct import train as T
    from clika.conduct.models import load_for_training, resolve_model
    from clika.fictional.generator import generate

    split = generate(langs=("en", args.target), seed=args.seed, n_facts=args.facts,
                     n_continents=args.continents).split(args.target, "to-en", "en", "native")
    config = T.preset("cpu", **{**train, "progress": False, "epochs": 1})
    model, tok = load_for_training(resolve_model(None), "cpu", config)
    rows = T.encode_examples(tok, split.train, config.prompt_format, config.max_length)
    with tempfile.TemporaryDirectory() as out, contextlib.ExitStack() as stack:
        trainer = T._build_trainer(model, tok, rows, config, out, torch.device("cpu"))
        stack.enter_context(T._low_precision_head(trainer.model, config))
        if name == "new":  # before issue 23 the frozen LoRA base weights were cast by autocast at every step
            stack.enter_context(T._low_precision_frozen(trainer.model, config))
        trainer.args.max_steps = 3
        trainer.train()  # warm-up
        trainer.args.max_steps = n_steps
        start = time.perf_counter()
        trainer.train()
        seconds = (time.perf_counter() - start) / n_steps
    steps = -(-len(rows) // config.batch_size)
    print(f"{name}: {seconds:.2f} s a step ({config.batch_size} examples, dtype {T.resolve_dtype(config.dtype, 'cpu')}) "
          f"over {n_steps} steps: an epoch of {steps} steps ~ {seconds * steps / 60:.1f} min", flush=True)
    return seconds


def show(results: list[dict]) -> None:
    def cell(m: dict | None) -> str:
        if m is None or m["value"] is None:
            return "—"
        lo, hi = m["ci"]
        ci = f" [{lo:.2f}, {hi:.2f}]" if lo is not None and hi is not None else ""
        return f"{m['value']:.3f}{ci} (n={m['n']})"

    print("\n| config | wall to gate | training | gate checks (during training) | final test | epochs | passed "
          "| " + " | ".join(METRICS) + " |")
    print("|" + " --- |" * (len(METRICS) + 7))
    for r in results:
        checks = ", ".join(f"ep{e} {'ok' if ok else 'no'} {s} s" for e, ok, s in r["gate_checks"]) or "none"
        passed = r["metrics"].get("gate_translation") and all(
            r["metrics"][m]["value"] >= 0.9 for m in METRICS[:4] if m in r["metrics"])
        print(f"| {r['config']} | {r['wall_s'] / 60:.1f} min | {r['train_s'] / 60:.1f} min | "
              f"{r['gate_check_s'] / 60:.1f} min ({checks}) | {r['final_test_s'] / 60:.1f} min | {r['epochs']} | "
              f"{'yes' if passed else 'NO'} | " + " | ".join(cell(r["metrics"].get(m)) for m in METRICS) + " |")
        if r.get("note"):
            print(f"  {r['config']}: {r['note']}")
    if len(results) == 2 and results[1]["wall_s"] > 0:
        print(f"\nspeed-up to the gate (wall): {results[0]['wall_s'] / results[1]['wall_s']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", default=["old", "new"], choices=["old", "new"])
    parser.add_argument("--facts", type=int, default=120)
    parser.add_argument("--continents", type=int, default=12)
    parser.add_argument("--target", default="de")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=Path("runs/speed"))
    parser.add_argument("--threads", type=int, default=1, help="torch threads (one: the machine is shared)")
    parser.add_argument("--old-max-epochs", type=int, default=24)
    parser.add_argument("--old-gate-min-epochs", type=int, default=8)
    parser.add_argument("--old-gate-every", type=int, default=2)
    parser.add_argument("--new-max-epochs", type=int, default=8)
    parser.add_argument("--new-gate-min-epochs", type=int, default=6)
    parser.add_argument("--new-gate-every", type=int, default=1)
    parser.add_argument("--gate-prompt", default="native", choices=("native", "english"),
                        help="the gate's name prompt (the study, benchmarks/cd_study.sh, uses english)")
    parser.add_argument("--per-step", type=int, default=0, help="time N training steps of each config instead")
    parser.add_argument("--new-train", type=json.loads, default={}, help='JSON overrides of the new preset, e.g. {"lr": 2e-3}')
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    if args.per_step:
        times = {name: per_step(name, args, OLD_TRAIN if name == "old" else args.new_train, args.per_step)
                 for name in args.configs}
        if len(times) == 2:
            print(f"speed-up a step: {times['old'] / times['new']:.2f}x")
        return
    results = []
    for name in args.configs:
        if name == "old":
            results.append(run_config("old", args, OLD_TRAIN, args.old_max_epochs, args.old_gate_min_epochs,
                                      args.old_gate_every))
        else:
            results.append(run_config("new", args, args.new_train, args.new_max_epochs, args.new_gate_min_epochs,
                                      args.new_gate_every))
        show(results)


if __name__ == "__main__":
    main()
