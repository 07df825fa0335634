"""What benchmarks/gpu.py carries to a machine without the CLiKA data: `gpu.py --prepare DIR` writes

    DIR/x_csqa_en.jsonl   the x_csqa English items (clika item format), read by --data
    DIR/tok/              the tokenizer (save_pretrained), read by --tokenizer
    DIR/workload.json     the counts the extrapolation needs (workload() below), found beside --data

and the device command is then one line:

    python benchmarks/gpu.py --data DIR/x_csqa_en.jsonl --tokenizer DIR/tok --output $OUT/gpu.json
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ITEM_FILE = "x_csqa_en.jsonl"
TOKENIZER_DIR = "tok"
WORKLOAD_FILE = "workload.json"
EMBEDDED_TOKENIZER = "smollm2-135m"  # 49,152 tokens: the embedded vocabulary nearest Llama-2's 32,000


def default_data() -> Path | None:
    """The fetched CLiKA data (`clika data fetch`), else ../shared/clika-data beside the checkout."""
    from clika.data.fetch import find_data_dir

    found = find_data_dir()
    if found is not None:
        return found
    shared = REPO.parent / "shared" / "clika-data"
    return shared if (shared / "x_csqa").is_dir() else None


def default_tokenizer() -> Path:
    from clika.backends.embedded import default_model_dir

    return default_model_dir(EMBEDDED_TOKENIZER)


def tokenizer_identity(tokenizer, path: Path, name: str | None = None) -> dict:
    """What token counts depend on: the vocabulary (hashed) and the special tokens."""
    vocab = json.dumps(sorted(tokenizer.get_vocab().items()), ensure_ascii=False)
    return {"path": str(path), "name": name or Path(path).name,
            "class": type(tokenizer).__name__, "vocab_size": len(tokenizer),
            "sha256": hashlib.sha256(vocab.encode()).hexdigest(), "bos": tokenizer.bos_token,
            "eos": tokenizer.eos_token}


def workload(root: Path, tokenizer, targets: list[str] | None = None) -> dict:
    """The work of a full CLiKA run, counted from the data with ``tokenizer``.

    pf_ct: the items of every task and language (the paper's 18,800: 10 languages x (x_csqa 1000,
    x_copa 500, x_geo 200, x_name 180)) and their mean paper-prompt length in tokens.
    cd: per target language, the upstream train file's rows and their tokens in the paper preset's
    prompt format (alpaca: prompt + answer + EOS, what the Trainer counts), the test questions and
    name translations clika asks after training (upstream, conflicting names left out), and the
    new tokens it lets the answers have (max_answer_tokens)."""
    from clika.conduct.fact_tests import max_answer_tokens
    from clika.conduct.train import preset
    from clika.data.upstream_items import load_upstream
    from clika.fictional.upstream_set import load, target_languages
    from clika.prompts import build_requests

    items = load_upstream(root)
    counts = Counter((i.task, i.lang) for i in items)
    tasks: dict[str, dict[str, int]] = {}
    for (task, lang), n in sorted(counts.items()):
        tasks.setdefault(task, {})[lang] = n
    prompts = [r.prompt for r in build_requests(items, "paper")]
    tokens = sum(len(ids) for ids in tokenizer(prompts)["input_ids"])
    fmt = preset("paper").prompt_format
    cd = {}
    for target in targets or target_languages(root):
        split, report = load(root, target)
        cd[target] = {
            "train_rows": len(split.train),
            "train_tokens": sum(len(fmt.encode(tokenizer, e.prompt, e.answer)[0]) for e in split.train),
            "test_questions": len(split.questions), "test_translations": len(split.translations),
            "max_new_tokens": max_answer_tokens(tokenizer, split), "data_check": report.summary,
        }  # fmt: skip
    return {"source": str(root), "pf_ct": {"n_items": len(items), "tasks": tasks, "template": "paper",
                                           "mean_prompt_tokens": tokens / len(items)},
            "cd": {"preset": "paper", "prompt_format": fmt.kind, "targets": cd}}


def load_workload(path: Path, identity: dict) -> dict:
    """A prepared workload.json, refused when it was counted with another tokenizer."""
    from clika.errors import ConfigError

    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("tokenizer", {}).get("sha256") != identity["sha256"]:
        raise ConfigError(f"counted with another tokenizer ({data.get('tokenizer', {}).get('name')}): run "
                          f"--prepare again with --tokenizer {identity['path']}", path)
    return data


def prepare(dest: Path, data: Path, tokenizer_path: Path, targets: list[str] | None = None) -> dict[str, Path]:
    """Write the item file, the tokenizer and workload.json into ``dest``; returns their paths."""
    from transformers import AutoTokenizer

    from clika.data.jsonl_items import write_jsonl
    from clika.data.upstream_items import load_upstream

    dest.mkdir(parents=True, exist_ok=True)
    items = write_jsonl(load_upstream(data, tasks=["x_csqa"], langs=["en"]), dest / ITEM_FILE)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
    tokenizer.save_pretrained(dest / TOKENIZER_DIR)
    counted = workload(data, tokenizer, targets)
    counted["tokenizer"] = tokenizer_identity(tokenizer, dest / TOKENIZER_DIR, name=Path(tokenizer_path).name)
    (dest / WORKLOAD_FILE).write_text(json.dumps(counted, indent=1, ensure_ascii=False), encoding="utf-8")
    return {"data": items, "tokenizer": dest / TOKENIZER_DIR, "workload": dest / WORKLOAD_FILE}
