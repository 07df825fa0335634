"""What should a bare `clika run` ask? Prompt templates x scoring modes x mini sets, measured.

    .venv/bin/python benchmarks/default_run.py --items        # every configuration on the built-in set (hours here)
    .venv/bin/python benchmarks/default_run.py --configs qa:cloze paper:letter
    .venv/bin/python benchmarks/default_run.py --data old24=git:a130f826 --configs paper:letter qa:cloze
                                                  # the 24-item set as it was at commit a130f826

Each configuration (data set, template, scoring mode) is one `clika.api.evaluate` call of the
embedded model (Gemma 3 270M unless --model-args says otherwise) on the mini tasks in all ten
languages, into its own output folder (and results store) under --tmp, so every configuration
is scored from scratch and its wall time is a first run's. Per task it prints: English accuracy
[95% CI] and n, the chance level, in how many languages the accuracy's CI lower bound is above
chance, mean RA and mean en-CO over the nine non-English languages with their CIs, the
languages flagged for a dominant option, and the wall and CPU time of the configuration (both
tasks, model loading included), then the same as one Markdown table; --items adds each English
item's answer and in how many languages the item was answered right. Templates (src/clika/tasks/_mc.yaml): paper (the upstream
CLiKA prompt: English instruction, one-shot example, options listed), native (the same in the
item's language), qa (lm-eval's ARC-style "Question: ...\\nAnswer:" cloze, no option list, no
example), qa-native (qa with the item's language's labels). The qa templates have no letters to
score, so they take cloze modes only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import tempfile
import time
from pathlib import Path

TASKS = ("mini_basic", "mini_factual")
DEFAULT_CONFIGS = (
    "paper:letter", "paper:cloze", "paper:cloze-norm",
    "native:letter", "native:cloze", "native:cloze-norm",
    "qa:cloze", "qa:cloze-norm",
    "qa-native:cloze", "qa-native:cloze-norm",
)


def load() -> str:
    """The 1-minute load average, as `uptime` reports it (the machine is shared with other jobs)."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU cores ({cpu}), {platform.system()} {platform.release()}"


def ci(rec) -> str:
    if rec is None or rec.value is None:
        return "-"
    if rec.ci_low is None:
        return f"{rec.value:.3f}"
    return f"{rec.value:.3f} [{rec.ci_low:.2f}, {rec.ci_high:.2f}]"


def summarise(records, task: str) -> dict:
    rows = [r for r in records if r.task == task]
    by = {(r.lang, r.metric): r for r in rows if r.stratum is None}
    acc = [r for r in rows if r.metric == "accuracy" and r.stratum is None]
    en = by.get(("en", "accuracy"))
    chance = en.chance if en is not None else None
    above = [r.lang for r in acc if r.ci_low is not None and chance is not None and r.ci_low > chance]
    dominant = [r.lang for r in rows if r.metric == "dominant_option_flag" and r.value]
    return {"en": en, "chance": chance, "above": above, "n_langs": len(acc),
            "ra": by.get(("avg", "ra")), "en_co": by.get(("avg", "en_co")), "dominant": dominant,
            "accs": {r.lang: r.value for r in acc}}


def builtin_layout_source(source: str, tmp: Path, label: str) -> str | None:
    """A data source for RunOptions.data: None for the shipped set ("builtin"); a mini set in
    the built-in layout (a folder of <task>/<lang>.jsonl, or "git:REV" for the shipped set at
    a commit, read with `git show`) is converted to the project's JSONL format under tmp."""
    if source == "builtin":
        return None
    out = tmp / f"data-{label}"
    out.mkdir(parents=True, exist_ok=True)
    for task in TASKS:
        for lang in ("en", "zh", "ja", "fr", "de", "it", "ru", "pl", "he", "ar"):
            if source.startswith("git:"):
                rel = f"src/clika/data/builtin/{task}/{lang}.jsonl"
                text = subprocess.run(["git", "show", f"{source[4:]}:{rel}"], capture_output=True, text=True,
                                      check=True, cwd=Path(__file__).resolve().parents[1]).stdout
            else:
                path = Path(source) / task / f"{lang}.jsonl"
                if not path.is_file():
                    continue
                text = path.read_text(encoding="utf-8")
            rows = []
            for line in text.splitlines():
                if line.strip():
                    r = json.loads(line)
                    rows.append({"task": r["task"], "lang": r["lang"], "id": r["item_id"], "question": r["question"],
                                 "options": r["options"], "answer": r["gold"], "stream": r["stream"],
                                 **({"meta": r["meta"]} if r.get("meta") else {})})
            (out / f"{task}-{lang}.jsonl").write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return str(out)


def run_one(label: str, data: str | None, template: str, mode: str, tmp: Path, args) -> dict:
    from clika import api
    from clika.runner import RunOptions

    out = tmp / f"{label}-{template}-{mode}"
    before = load()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    result = api.evaluate(RunOptions(tasks=list(args.tasks), data=data,
                                     template=template, mode=mode, output_dir=out, model_args=args.model_args,
                                     batch_size=args.batch_size, n_boot=args.n_boot, seed=0))
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    summary = {task: summarise(result.records, task) for task in args.tasks}
    return {"label": label, "template": template, "mode": mode, "wall": wall, "cpu": cpu, "load": f"{before} / {load()}",
            "n_scored": result.n_scored, "tasks": summary, "predictions": result.predictions, "out": out}


def print_items(run: dict, data: str | None) -> None:
    """Per English item: right or wrong, and the option chosen (to find items the model cannot know)."""
    from clika.data import load_items

    items = {(i.task, i.lang, i.item_id): i for i in load_items(data, tasks=list(TASKS))}
    right: dict[tuple[str, str], list[str]] = {}
    for p in run["predictions"]:
        right.setdefault((p.task, p.item_id), []).append(p.lang if p.correct else "")
    print(f"\nper item, {run['label']} {run['template']}:{run['mode']} (en answer; languages right of 10)")
    for p in run["predictions"]:
        if p.lang != "en":
            continue
        item = items[(p.task, "en", p.item_id)]
        chosen = item.options[p.choice] if p.choice is not None and 0 <= p.choice < len(item.options) else "?"
        n_right = sum(1 for x in right[(p.task, p.item_id)] if x)
        mark = "ok " if p.correct else "XX "
        print(f"  {mark}{p.item_id:12s} {n_right:2d}/10  {item.question[:60]:60s} -> {chosen}"
              + ("" if p.correct else f" (gold {item.options[item.gold]})"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", default=list(DEFAULT_CONFIGS), help="TEMPLATE:MODE ...")
    parser.add_argument("--data", nargs="+", default=["builtin"],
                        help="LABEL=SOURCE ... (SOURCE: builtin, git:REV (the shipped set at a commit) or a "
                        "folder in the built-in layout, <task>/<lang>.jsonl)")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument("--model-args", default=None, help="as `clika run --model-args` (default: embedded Gemma)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--tmp", type=Path, default=None, help="parent of the output folders (default: a new tmp dir)")
    parser.add_argument("--items", action="store_true", help="also print every English item's answer")
    args = parser.parse_args()

    tmp = args.tmp or Path(tempfile.mkdtemp(prefix="clika-default-run-"))
    tmp.mkdir(parents=True, exist_ok=True)
    sources = [(d.split("=", 1) if "=" in d else (Path(d).name or d, d)) for d in args.data]
    sources = [(label, builtin_layout_source(src, tmp, label)) for label, src in sources]
    print(f"machine: {machine()}; load {load()}; output under {tmp}", flush=True)
    runs = []
    for label, data in sources:
        for config in args.configs:
            template, mode = config.split(":")
            run = run_one(label, data, template, mode, tmp, args)
            runs.append(run)
            for task, s in run["tasks"].items():
                accs = " ".join(f"{k}={v:.2f}" for k, v in s["accs"].items() if v is not None)
                print(f"{label} {template}:{mode} {task}: en {ci(s['en'])} n={getattr(s['en'], 'n', 0)}; "
                      f"above chance in {len(s['above'])}/{s['n_langs']} ({','.join(s['above'])}); "
                      f"RA {ci(s['ra'])}; en-CO {ci(s['en_co'])}; dominant: {','.join(s['dominant']) or '-'}; "
                      f"[{accs}]", flush=True)
            print(f"  {run['n_scored']} items scored in {run['wall']:.0f} s wall, {run['cpu']:.0f} CPU s "
                  f"({run['load']})", flush=True)
            if args.items:
                print_items(run, data)

    print(f"\nMachine: {machine()}. Gemma 3 270M (the embedded GGUF, converted once to transformers weights; "
          f"float32 on CPU), batch size {args.batch_size}, "
          f"{args.n_boot} bootstrap resamples; each configuration scored from scratch (both tasks, 10 languages). "
          "Wall and CPU time (this process, user + system) include loading the model; other jobs shared the "
          "cores (1-minute load average before / after each configuration).")
    print("\n| set | template | mode | task | en accuracy [95% CI] | n | chance | langs CI > chance "
          "| mean RA [95% CI] | mean en-CO [95% CI] | dominant option | wall s | CPU s | load before / after |")
    print("|" + " --- |" * 14)
    for run in runs:
        for i, (task, s) in enumerate(run["tasks"].items()):
            wall = f"{run['wall']:.0f} | {run['cpu']:.0f} | {run['load']}" if i == 0 else "″ | ″ | ″"
            print(f"| {run['label']} | {run['template']} | {run['mode']} | {task} | {ci(s['en'])} "
                  f"| {getattr(s['en'], 'n', 0)} | {s['chance']:.2f} | {len(s['above'])}/{s['n_langs']} "
                  f"| {ci(s['ra'])} | {ci(s['en_co'])} | {', '.join(s['dominant']) or '-'} | {wall} |")
    try:
        up = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
        print(f"\nuptime at the end: {up}")
    except OSError:
        pass


if __name__ == "__main__":
    main()
