"""clika on an accelerator, in one run: `clika run`'s hf path, the paper's way and the conductivity
trainer, timed on a model built from a config (random weights: the timing does not depend on their
values), plus what those rates mean for a whole CLiKA run. One JSON file (--output) and a table.

    python benchmarks/gpu.py --prepare .bench        # here, with the data: items, tokenizer, counts
    python benchmarks/gpu.py --data .bench/x_csqa_en.jsonl --tokenizer .bench/tok --output $OUT/gpu.json
    python benchmarks/gpu.py --shape tiny --items 16 --device cpu --output /tmp/gpu.json   # CPU check

Shapes: llama2-7b (Llama-2-7B's dimensions, bf16 on CUDA; the default on CUDA) and tiny (4 layers,
128 wide; the default on CPU). The vocabulary is the tokenizer's (no Llama tokenizer is available
offline: the default is the embedded SmolLM2's, 49,152 tokens against Llama-2's 32,000), so token
counts and the output layer's cost depend on it; the JSON records which tokenizer was used.

Measured: items/s and peak memory of `clika run` (clika.runner.evaluate: the store, the prefix-cached
scorer, metrics) on the x_csqa English paper prompts in letter, cloze and generate mode at the
runner's default batch size; the paper's way (HF generate, 2 beams, 2 new tokens, one item at a
time) on 50 of the same items; the `paper` preset's LoRA training (tokens/s, peak memory) on a
generated fictional set, then the trained model answering its test questions through the hf backend.
Peak memory is torch.cuda.max_memory_allocated per phase on CUDA, the process's peak RSS (ru_maxrss,
cumulative over the run) on CPU. Extrapolated, with the formula printed and stored: all PF/CT items,
and one model's CD run per target language at the paper's protocol. Loading a model is not counted.
Needs nothing the accelerator machines lack (their image has torch, transformers, peft, accelerate,
numpy, scipy, pandas, pyyaml, jinja2; tests/benchmarks/test_bench_gpu.py checks that clika's code asks
for none of gguf, datasets, openai, pydantic, pooch); src/ is put first on sys.path, so the working
tree's clika is measured without installing it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO / "benchmarks")]  # this tree's clika; gpu_prepare, throughput

import gpu_prepare  # noqa: E402

SHAPES = {
    # Llama-2-7B (meta-llama/Llama-2-7b-hf config.json); vocab_size comes from the tokenizer.
    "llama2-7b": dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                      num_key_value_heads=32, max_position_embeddings=4096, rms_norm_eps=1e-5),
    "tiny": dict(hidden_size=128, intermediate_size=256, num_hidden_layers=4, num_attention_heads=4,
                 num_key_value_heads=4, max_position_embeddings=4096, rms_norm_eps=1e-5),
}  # fmt: skip
LLAMA2_VOCAB = 32000
MODES = ("letter", "cloze", "generate")
PAPER_BEAMS, PAPER_NEW_TOKENS = 2, 2
BACKEND_NAME = "gpu-bench"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", choices=sorted(SHAPES), help="default: llama2-7b on CUDA, tiny on CPU")
    p.add_argument("--device", default="auto", help="auto, cuda, cuda:N or cpu")
    p.add_argument("--items", type=int, default=1000, help="x_csqa/en items per mode (default 1000, all)")
    p.add_argument("--paper-items", type=int, default=50, help="items asked the paper's way")
    p.add_argument("--data", type=Path, help="x_csqa items: a .jsonl file (from --prepare) or the CLiKA data "
                   "folder (default: the fetched data, else ../shared/clika-data)")
    p.add_argument("--tokenizer", type=Path, help=f"a tokenizer folder (default: the embedded "
                   f"{gpu_prepare.EMBEDDED_TOKENIZER}'s)")
    p.add_argument("--workload", type=Path, help="the counts to extrapolate with (default: workload.json beside "
                   "--data; counted from --data when it is the CLiKA data folder)")
    p.add_argument("--train-facts", type=int, default=48, help="facts of the generated set trained on")
    p.add_argument("--train-epochs", type=int, default=1, help="epochs of the timed training")
    p.add_argument("--target", default="de", help="target language of the timed training")
    p.add_argument("--targets", help="--prepare: CD targets to count (default: every upstream target)")
    p.add_argument("--output", type=Path, help="the JSON file to write")
    p.add_argument("--prepare", type=Path, metavar="DIR", help="write DIR/x_csqa_en.jsonl, DIR/tok and "
                   "DIR/workload.json for a machine without the data, then stop")
    p.add_argument("--dtype", choices=("auto", "bfloat16", "float32"), default="auto",
                   help="weights: auto = bfloat16 on CUDA, float32 on CPU; training autocasts to bf16 with bf16 weights")
    p.add_argument("--threads", type=int, help="torch threads on CPU (default: torch's choice)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def resolve_inputs(args) -> tuple[Path, Path]:
    from clika.errors import ConfigError

    data = args.data or gpu_prepare.default_data()
    if data is None or not data.exists():
        raise ConfigError("no x_csqa data: pass --data (a file written by --prepare, or the CLiKA data folder)")
    if args.tokenizer is not None:
        return data, args.tokenizer
    try:
        return data, gpu_prepare.default_tokenizer()
    except Exception as err:  # the embedded model cannot be converted here (no gguf, no package)
        raise ConfigError(f"no tokenizer ({err}): pass --tokenizer (a folder written by --prepare)") from None


def device_info(device) -> dict:
    import torch

    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        memory = torch.cuda.get_device_properties(device).total_memory
    else:
        name, memory = platform.processor() or platform.machine(), None
        try:
            models = [x.split(":", 1)[1].strip() for x in open("/proc/cpuinfo") if x.startswith("model name")]
            name = models[0] if models else name
        except OSError:
            pass
    return {"type": device.type, "name": name, "total_memory_bytes": memory, "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads()}


def versions() -> dict:
    import accelerate
    import peft
    import torch
    import transformers

    from clika import __version__

    try:  # the device gets a copy of the working tree, perhaps without .git
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda,
            "transformers": transformers.__version__, "peft": peft.__version__,
            "accelerate": accelerate.__version__, "clika": __version__, "clika_commit": commit}


def build_model(shape: str, tokenizer, device, seed: int, dtype_name: str = "auto"):
    """A Llama of ``shape`` with random weights, built directly on ``device`` (auto: bf16 on CUDA, fp32 on CPU)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    if dtype_name == "auto":
        dtype_name = "bfloat16" if device.type == "cuda" else "float32"
    dtype = getattr(torch, dtype_name)
    config = LlamaConfig(**SHAPES[shape], vocab_size=len(tokenizer), bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    before = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = LlamaForCausalLM(config)
    finally:
        torch.set_default_dtype(before)
    model.eval()
    n = sum(p.numel() for p in model.parameters())
    return model, {"name": shape, **SHAPES[shape], "vocab_size": len(tokenizer), "n_parameters": n,
                   "dtype": str(dtype).removeprefix("torch."), "weights": f"random (seed {seed})",
                   "vocab_note": f"the tokenizer's vocabulary; Llama-2 has {LLAMA2_VOCAB}" if shape == "llama2-7b"
                   else "the tokenizer's vocabulary"}


class Phase:
    """Wall time and peak memory of one phase (CUDA: this phase's peak; CPU: the process's so far)."""

    def __init__(self, device):
        self.device, self.seconds = device, 0.0

    def __enter__(self):
        import torch

        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        import torch

        from clika.conduct.train import _peak_memory

        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        self.seconds = time.perf_counter() - self.start
        self.peak, self.kind = _peak_memory(self.device)

    def memory(self) -> dict:
        return {"peak_memory_bytes": self.peak, "peak_memory_kind": self.kind}


def clika_run(model, tokenizer, data: Path, mode: str, n_items: int, device, work: Path) -> dict:
    """`clika run` (runner.evaluate) on the in-memory model; items/s from the first to the last chunk."""
    from clika.backends.hf import HFBackend
    from clika.backends.registry import register_backend
    from clika.runner import RunOptions, evaluate

    built = []

    def factory(batch_size: int, **_):
        built.append(HFBackend.from_model(model, tokenizer, name=BACKEND_NAME, batch_size=batch_size,
                                          identity=f"{BACKEND_NAME}:{id(model)}"))
        return built[-1]

    register_backend(BACKEND_NAME, factory, "benchmarks/gpu.py: the model in memory")
    marks: dict[str, float] = {}

    def on_event(event) -> None:
        marks.setdefault(event.kind, time.perf_counter())
        marks["last"] = time.perf_counter()

    opts = RunOptions(model=BACKEND_NAME, data=str(data), tasks=["x_csqa"], langs=["en"], limit=n_items, mode=mode,
                      device=str(device), output_dir=work / mode)
    with Phase(device) as phase:
        result = evaluate(opts, on_event=on_event)
    scoring = marks["last"] - marks["planned"]
    return {"items": result.n_scored, "batch_size": built[0].batch_size, "seconds": scoring,
            "items_per_second": result.n_scored / scoring, "run_seconds": phase.seconds, **phase.memory()}


def paper_way(model, tokenizer, data: Path, n_items: int, device) -> dict:
    from throughput import paper_way as generate_one_by_one  # benchmarks/throughput.py

    from clika.backends.hf import HFBackend
    from clika.data import load_items
    from clika.prompts import build_requests

    items = load_items(str(data), tasks=["x_csqa"], langs=["en"])[:n_items]
    prompts = [r.prompt for r in build_requests(items, "paper")]
    backend = HFBackend.from_model(model, tokenizer, name=BACKEND_NAME)
    with Phase(device) as phase:
        generate_one_by_one(backend, prompts, PAPER_NEW_TOKENS, num_beams=PAPER_BEAMS)
    return {"items": len(items), "num_beams": PAPER_BEAMS, "max_new_tokens": PAPER_NEW_TOKENS,
            "seconds": phase.seconds, "items_per_second": len(items) / phase.seconds, **phase.memory()}


def train_and_test(model, tokenizer, args, device, max_new_tokens: int) -> tuple[dict, dict, dict]:
    """The paper preset's LoRA training on a generated set, then its test questions through the hf backend."""
    from clika.backends.hf import HFBackend
    from clika.conduct.fact_tests import run_tests
    from clika.conduct.run import ConductOptions
    from clika.conduct.train import preset, train
    from clika.fictional.generator import generate

    split = generate(args.train_facts, (args.target,), seed=args.seed).split(args.target)
    import torch

    overrides = {"epochs": args.train_epochs, "progress": False, "seed": args.seed}
    if model.dtype != torch.bfloat16:  # fp32 weights (the CPU default): no bf16 autocast, which CPUs
        overrides["dtype"] = "fp32"   # without AMX emulate slowly; with bf16 weights the preset's bf16
    config = preset("paper", **overrides)
    result = train(model, tokenizer, split.train, config)
    training = {"examples": result.n_examples, "epochs": result.epochs_run, "steps": result.steps,
                "effective_batch": result.effective_batch, "n_trainable": result.n_trainable,
                "seconds": result.seconds, "tokens_per_second": result.tokens_per_second,
                "tokens": round(result.tokens_per_second * result.seconds),
                "peak_memory_bytes": result.peak_memory_bytes, "peak_memory_kind": result.peak_memory_kind}
    merged = result.model.merge_and_unload()  # as clika conduct tests it: the adapter merged
    backend = HFBackend.from_model(merged, tokenizer, name=BACKEND_NAME, identity=f"{BACKEND_NAME}:trained",
                                   batch_size=ConductOptions.eval_batch_size)  # as clika conduct asks
    with Phase(device) as phase:
        tested = run_tests(backend, tokenizer, config.prompt_format, split, max_new_tokens=max_new_tokens)
    n = len(tested.rows)
    test = {"prompts": n, "max_new_tokens": max_new_tokens, "batch_size": backend.batch_size,
            "seconds": phase.seconds, "prompts_per_second": n / phase.seconds, **phase.memory()}
    return training, test, config.to_dict()


def extrapolate(workload: dict, pf: dict, training: dict, test: dict) -> dict:
    """Whole-run times from the measured rates, each with its formula."""
    from clika.conduct.train import preset

    n = workload["pf_ct"]["n_items"]
    by_task = ", ".join(f"{t} {sum(v.values())}" for t, v in workload["pf_ct"]["tasks"].items())
    pf_ct = {mode: {"seconds": n / r["items_per_second"],
                    "formula": f"{n} items / {r['items_per_second']:.2f} items/s"} for mode, r in pf.items()}
    epochs = preset("paper").epochs
    tps, pps = training["tokens_per_second"], test["prompts_per_second"]
    cd = {}
    for target, w in workload["cd"]["targets"].items():
        prompts = w["test_questions"] + w["test_translations"]
        train_s, test_s = epochs * w["train_tokens"] / tps, prompts / pps
        cd[target] = {"train_seconds": train_s, "test_seconds": test_s, "seconds": train_s + test_s,
                      "formula": f"{epochs} epochs x {w['train_tokens']} tokens / {tps:.1f} tokens/s + "
                                 f"{prompts} test prompts / {pps:.2f} prompts/s"}
    return {
        "pf_ct": {"n_items": n, "items_by_task": by_task, "per_mode": pf_ct,
                  "assumption": "every item costs what an x_csqa/en item costs (mean paper prompt: "
                                f"{workload['pf_ct']['mean_prompt_tokens']:.1f} tokens over all items)"},
        "cd": {"epochs": epochs, "per_target": cd, "seconds_all_targets": sum(c["seconds"] for c in cd.values()),
               "assumption": f"tokens/s as measured (one device, batch {training['effective_batch']} a step; "
                             f"the paper used 4 GPUs); every test answer runs to {test['max_new_tokens']} new "
                             "tokens (a random model rarely stops); model loading not counted"},
    }


def print_table(report: dict) -> None:
    dev, shape = report["device"], report["shape"]
    print(f"\n{dev['type']} {dev['name']} | torch {report['versions']['torch']} cuda {report['versions']['cuda']} | "
          f"{report['date']}\nshape {shape['name']} ({shape['n_parameters'] / 1e6:.1f}M parameters, {shape['dtype']}, "
          f"random weights) | tokenizer {report['tokenizer']['name']} ({report['tokenizer']['vocab_size']} tokens)")
    kind = report["pf_ct"]["letter"]["peak_memory_kind"]
    print(f"\n| what | n | rate | seconds | peak memory ({kind}) |\n|---|---:|---:|---:|---:|")
    rows = [(f"clika run {m} (batch {r['batch_size']})", r["items"], f"{r['items_per_second']:.2f} items/s", r)
            for m, r in report["pf_ct"].items()]
    p = report["paper_way"]
    rows.append((f"paper's way ({p['num_beams']} beams, {p['max_new_tokens']} new tokens, 1 by 1)", p["items"],
                 f"{p['items_per_second']:.2f} items/s", p))
    t = report["training"]
    rows.append((f"paper preset LoRA training ({t['steps']} steps of {t['effective_batch']})", t["examples"],
                 f"{t['tokens_per_second']:.1f} tokens/s", t))
    c = report["cd_test"]
    rows.append((f"CD test, generate to {c['max_new_tokens']} tokens", c["prompts"],
                 f"{c['prompts_per_second']:.2f} prompts/s", c))
    for name, n, rate, r in rows:
        mem = r["peak_memory_bytes"]
        print(f"| {name} | {n} | {rate} | {r['seconds']:.2f} | {f'{mem / 2**20:.0f} MiB' if mem else '-'} |")
    x = report["extrapolation"]
    print(f"\nExtrapolated: all {x['pf_ct']['n_items']} PF/CT items ({x['pf_ct']['items_by_task']}); "
          f"{x['pf_ct']['assumption']}")
    for mode, e in x["pf_ct"]["per_mode"].items():
        print(f"  {mode}: {e['formula']} = {e['seconds'] / 60:.1f} min")
    print(f"One model's CD run per target (paper protocol: {x['cd']['epochs']} epochs over the upstream train file, "
          f"then every test question and name translation); {x['cd']['assumption']}")
    for target, e in x["cd"]["per_target"].items():
        print(f"  {target}: {e['formula']} = {e['seconds'] / 3600:.2f} h")
    print(f"  all {len(x['cd']['per_target'])} targets: {x['cd']['seconds_all_targets'] / 3600:.2f} h")


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from clika.errors import ClikaError

    try:
        return run(args)
    except ClikaError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


def run(args) -> int:
    import torch
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    from clika.data.upstream_items import is_upstream_root
    from clika.errors import ConfigError

    hf_logging.disable_progress_bar()
    if args.threads:
        torch.set_num_threads(args.threads)
    data, tokenizer_path = resolve_inputs(args)
    if args.prepare is not None:
        targets = args.targets.split(",") if args.targets else None
        for what, path in gpu_prepare.prepare(args.prepare, data, tokenizer_path, targets).items():
            print(f"{what}: {path}")
        return 0
    if args.output is None:
        raise ConfigError("--output FILE is needed (the JSON of this run)")
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          "cpu" if args.device == "auto" else args.device)
    shape = args.shape or ("llama2-7b" if device.type == "cuda" else "tiny")
    if shape == "llama2-7b" and device.type == "cpu":
        raise ConfigError("--shape llama2-7b needs a GPU (about 27 GB in fp32 and hours here): use --shape tiny")
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    identity = gpu_prepare.tokenizer_identity(tokenizer, tokenizer_path)
    if is_upstream_root(data):
        print("counting the workload from the data ...", file=sys.stderr)
        workload = {**gpu_prepare.workload(data, tokenizer), "tokenizer": identity}
    else:
        workload_path = args.workload or data.parent / gpu_prepare.WORKLOAD_FILE
        if not workload_path.is_file():
            raise ConfigError("no workload.json: pass --workload, or --data from --prepare", workload_path)
        workload = gpu_prepare.load_workload(workload_path, identity)
        identity["name"] = workload["tokenizer"]["name"]  # the prepared folder's source
    model, shape_info = build_model(shape, tokenizer, device, args.seed, args.dtype)
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "device": device_info(device),
              "versions": versions(), "shape": shape_info,
              "tokenizer": {**identity, "note": "token counts and the vocabulary size depend on this tokenizer"},
              "data": {"path": str(data), "task": "x_csqa", "lang": "en", "template": "paper"}}
    with tempfile.TemporaryDirectory(prefix="clika-gpu-bench-") as work:
        clika_run(model, tokenizer, data, "letter", min(8, args.items), device, Path(work) / "warmup")
        report["pf_ct"] = {m: clika_run(model, tokenizer, data, m, args.items, device, Path(work)) for m in MODES}
    report["paper_way"] = paper_way(model, tokenizer, data, min(args.paper_items, args.items), device)
    longest = max(w["max_new_tokens"] for w in workload["cd"]["targets"].values())
    report["training"], report["cd_test"], report["train_config"] = train_and_test(model, tokenizer, args, device,
                                                                                   longest)
    report["extrapolation"] = extrapolate(workload, report["pf_ct"], report["training"], report["cd_test"])
    report["workload"] = workload
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    print_table(report)
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
