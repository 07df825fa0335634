"""Upstream-shaped trees built in a temporary folder from the shared data (read-only, never copied
into the project): the tests' small trees with every awkward shape, and a stand-in for the whole
upstream repository at the pinned commit, file for file from upstream-tree.tsv.

Files the shared data has are symbolic links to it. What it lacks is made up and said so:
- the predictions of the 6 models that are not in the shared data, and the zero-shot chatgpt runs,
  are links to a shared model's file of the same task and language (STAND_INS): their file
  names, folders and counts are the upstream ones, their answers are not;
- the 9 `_res_visual.jsonl` files are plain-text dumps (upstream they are plain text too);
- `chatgpt_res_without_uuid.jsonl` is a stand-in's file with 'uuid' removed (aligned by 'id');
- every other missing file (scripts, README, generation inputs) is an empty placeholder.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from clika.data.lines import read_json_lines
from clika.data.upstream_items import item_file, parse_item_file
from clika.data.upstream_predictions import MAIN_VARIANT, predictions_of, upstream_run_name
from clika.errors import DataError
from clika.predictions import Prediction
from clika.tasks import builtin_registry

UPSTREAM_SUFFIX = f"_res_{MAIN_VARIANT}.jsonl"  # the paper's main runs

# A model of the upstream tree that is not in the shared data -> the shared model whose answers stand in.
STAND_INS = {
    "Qwen_V15_7B_chat": "baichuan2_7b_chat", "Yi_6B_chat": "chatglm3_6b", "chatgpt": "llama2_13b_chat",
    "llama2_70b": "llama2_13b", "llama2_70b_chat": "llama2_13b_chat", "mistral_7B_instruct_v0.1": "vicuna_13b_v1.5",
}
PLAIN_TEXT = "Question: {n}\nThe model answered in prose, not JSON: B. because ...\n"


def read_upstream_file(path: Path, model: str, task: str, lang: str, n_options: int) -> list[Prediction]:
    """One upstream *_res*.jsonl file read strictly: any problem is a DataError naming file and line (the
    tree reader skips such a file with its reason); the item file of its folder, when there is one,
    checks the labels and aligns a file without 'uuid'."""
    path = Path(path)
    spec = builtin_registry()[task]
    records = read_json_lines(path)
    if not records:
        raise DataError("empty prediction file (no records); remove it or fill it", path)
    items, item_name = None, f"matching {spec.dataset.file!r}"
    if any(path.parent.glob(spec.dataset.file or "")):
        found = item_file(path.parent, spec)
        items, item_name = parse_item_file(found, spec, lang), found.name
    return predictions_of(records, path, model, task, lang, n_options, items, item_name, None, False, [])[0]


def tree_paths(shared: Path) -> list[str]:
    """Every blob path of upstream-tree.tsv (the pinned commit's files)."""
    with (shared / "upstream-tree.tsv").open(encoding="utf-8") as fh:
        return [row["path"] for row in csv.DictReader(fh, delimiter="\t") if row["type"] == "blob"]


def link(dest: Path, target: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.symlink_to(target.resolve())
    return dest


def write_lines(dest: Path, records: list[dict]) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return dest


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def plain_text(dest: Path, n: int = 3) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text("".join(PLAIN_TEXT.format(n=i) for i in range(n)), encoding="utf-8")
    return dest


def without_uuid(dest: Path, source: Path) -> Path:
    return write_lines(dest, [{k: v for k, v in r.items() if k != "uuid"} for r in read_lines(source)])


def _stand_in(shared: Path, path: str) -> Path | None:
    """The shared file whose content stands in for an upstream prediction file the shared data lacks."""
    folder, name = path.rsplit("/", 1)
    run = upstream_run_name(name) or ""
    model = run.split("@", 1)[0]
    source = shared / folder / f"{STAND_INS.get(model, model)}{UPSTREAM_SUFFIX}"
    return source if source.is_file() else None


def build_whole_tree(shared: Path, dest: Path) -> dict[str, int]:
    """A stand-in for the upstream repository at the pinned commit: every file of upstream-tree.tsv.
    Returns how many files of each kind it made (see the module docstring)."""
    made = {"linked from the shared data": 0, "stand-in predictions": 0, "plain-text dumps": 0,
            "without uuid": 0, "placeholders": 0}
    for path in tree_paths(shared):
        out = dest / path
        if (shared / path).is_file():
            link(out, shared / path)
            made["linked from the shared data"] += 1
        elif path.endswith("_res_visual.jsonl"):
            plain_text(out)
            made["plain-text dumps"] += 1
        elif path.endswith("_res_without_uuid.jsonl") and (source := _stand_in(shared, path)):
            without_uuid(out, source)
            made["without uuid"] += 1
        elif "/" in path and upstream_run_name(path.rsplit("/", 1)[1]) and (source := _stand_in(shared, path)):
            link(out, source)
            made["stand-in predictions"] += 1
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(b"")
            made["placeholders"] += 1
    return made


def build_tree(shared: Path, dest: Path, models: list[str], tasks: list[str]) -> Path:
    """The upstream layout of ``tasks`` with the item files, the model-input files and the
    predictions of ``models``, all linked from the shared data."""
    for task in tasks:
        for entry in sorted((shared / task).iterdir()):
            if entry.is_file():
                link(dest / task / entry.name, entry)
                continue
            for f in sorted(entry.iterdir()):
                run = upstream_run_name(f.name)
                if run is None or run in models:
                    link(dest / task / entry.name / f.name, f)
    return dest


def add_awkward_shapes(shared: Path, dest: Path, *, model: str, cut: str) -> dict[str, Path]:
    """Every shape a researcher meets in a real checkout, added to a tree from build_tree (x_geo):
    a plain-text _res_visual dump, one-language variants (English without uuid, Chinese only, so
    without the pivot), ``cut``'s English file cut
    to 150 of its 200 lines, names outside the known shapes, a clika predictions.jsonl, and an
    extra language folder (x_geo/es: German items and answers under another name)."""
    geo = dest / "x_geo"
    main = f"{model}{UPSTREAM_SUFFIX}"
    made = {
        "visual": plain_text(geo / "en" / "chatgpt_res_visual.jsonl"),
        "without_uuid": without_uuid(geo / "en" / f"{model}_res_without_uuid.jsonl", shared / "x_geo" / "en" / main),
        "zh_only": link(geo / "zh" / f"{model}_res_fixed_en_prompt.jsonl", shared / "x_geo" / "zh" / main),
        "gpt4": write_lines(geo / "en" / "gpt4-results.jsonl", read_lines(shared / "x_geo" / "en" / main)),
        "v2": write_lines(geo / "de" / f"{model}_res_v2.json", read_lines(shared / "x_geo" / "de" / main)),
        "upper": write_lines(geo / "fr" / main.upper(), read_lines(shared / "x_geo" / "fr" / main)),
        "clika": write_lines(geo / "en" / "predictions.jsonl", [{
            "model": "m", "task": "x_geo", "lang": "en", "item_id": "0", "prediction": 1, "gold": 1, "n_options": 4}]),
    }
    cut_file = geo / "en" / f"{cut}{UPSTREAM_SUFFIX}"
    cut_file.unlink()
    made["truncated"] = write_lines(cut_file, read_lines(shared / "x_geo" / "en" / cut_file.name)[:150])
    link(geo / "es" / "es_geo_data.jsonl", shared / "x_geo" / "de" / "de_geo_data.jsonl")
    for f in sorted((geo / "de").glob(f"*{UPSTREAM_SUFFIX}")):
        made.setdefault("es", link(geo / "es" / f.name, f))
    return made
