#!/usr/bin/env python
"""Write src/clika/data/manifest.json, the list of files `clika data fetch` downloads.

Reads the listing of the upstream repository at the pinned commit
(``upstream-tree.tsv``: mode, type, git blob id, size, path; one row per file)
and a local copy of the item files (default: ../shared/clika-data beside the
project root, which holds the tree listing too). Every file is checked in one
of two ways:

    items       x_csqa, x_copa, x_geo, x_name item files      sha256 + size
    fictional   fictional/ (train, test/target, test/Translate, README.md)
                                                               sha256 + size
    predictions every <model>_res*.jsonl of the tree           git blob id + size
    inputs      x_*/x_*_<lang>_model_input.jsonl,              git blob id + size
                x_*/<lang>/generate_input.jsonl (the prompts upstream fed)

An item or fictional file's sha256 is computed from the local copy, and only
after its git blob id (SHA-1 of b"blob <size>\\0" + content, what git stores)
matched the tree's: a local copy that differs from upstream is an error, not a
wrong pin. Prediction and input files are pinned by the tree alone (the local
copies of most prediction files dropped fields), so their git blob ids are
upstream's own.

Any other file of the tree (scripts, the top README.md, x_copa/*/val.*.jsonl)
is left out and listed on stderr. The manifest is deterministic (sorted paths,
no dates), so `--check` can tell whether it is up to date.

    .venv/bin/python scripts/make_manifest.py            # write it
    .venv/bin/python scripts/make_manifest.py --check    # exit 1 if stale
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT / "src"))  # this checkout's clika, not an installed one

from clika.data.fetch import git_blob_id  # noqa: E402  (the one implementation of the git blob id)

DEFAULT_SOURCE = PROJECT_ROOT.parent / "shared" / "clika-data"
DEFAULT_OUTPUT = PROJECT_ROOT / "src" / "clika" / "data" / "manifest.json"
TREE_NAME = "upstream-tree.tsv"

REPOSITORY = "https://github.com/RiverGao/CLiKA"
COMMIT = "51059fe908ae2508740732056d8db3eba6c0f751"
BASE_URL = f"https://raw.githubusercontent.com/RiverGao/CLiKA/{COMMIT}/"
FORMAT = 2

ITEM_PATTERNS = [
    r"x_csqa/[A-Za-z]+(_trans)?/validation\.jsonl",
    r"x_csqa/en/test\.jsonl",
    r"x_copa/[A-Za-z]+/test\.jsonl",
    r"x_geo/(?P<g>[A-Za-z]+)/(?P=g)_geo_data\.jsonl",
    r"x_name/(?P<n>[A-Za-z]+)/(?P=n)_name_data_generate\.jsonl",
]
FICTIONAL_PATTERNS = [
    r"fictional/README\.md",
    r"fictional/train/[A-Za-z]+\.json",
    r"fictional/test/target/test[A-Za-z]+\.jsonl",
    r"fictional/test/Translate/translate[A-Za-z]+\.jsonl",
]
PREDICTION_PATTERNS = [r"x_[a-z]+/[^/]+/[^/]+_res[^/]*\.jsonl"]
INPUT_PATTERNS = [
    r"x_[a-z]+/x_[a-z]+_[A-Za-z_]+_model_input\.jsonl",
    r"x_[a-z]+/[^/]+/generate_input\.jsonl",
]
PATTERNS = {"items": ITEM_PATTERNS, "fictional": FICTIONAL_PATTERNS,
            "predictions": PREDICTION_PATTERNS, "inputs": INPUT_PATTERNS}
GROUPS = {
    "items": {
        "check": "sha256",
        "fetched": "always",
        "note": "item files of x_csqa, x_copa, x_geo, x_name",
    },
    "fictional": {
        "check": "sha256",
        "fetched": "always",
        "note": "fictional-knowledge set (train, test/target, test/Translate)",
    },
    "predictions": {
        "check": "git_blob",
        "fetched": "only with --predictions",
        "note": (
            "every <model>_res*.jsonl file of the pinned commit, each checked against its git blob id "
            "(SHA-1 of 'blob <size>\\0' + content). The chatgpt_res_visual.jsonl files are plain-text "
            "dumps of answers, not JSON lines: fetched as published, not prediction records."
        ),
    },
    "inputs": {
        "check": "git_blob",
        "fetched": "only with --predictions",
        "note": "the model inputs upstream generated (x_*_<lang>_model_input.jsonl, generate_input.jsonl)",
    },
}


def classify(path: str) -> str | None:
    for group, patterns in PATTERNS.items():
        if any(re.fullmatch(p, path) for p in patterns):
            return group
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_tree(tsv: Path) -> list[dict[str, str]]:
    with tsv.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows or not {"type", "git_blob", "size", "path"} <= set(rows[0]):
        raise ValueError(f"{tsv}: expected the columns mode, type, git_blob, size, path")
    return [r for r in rows if r["type"] == "blob"]


def build(source: Path) -> tuple[dict, list[str]]:
    """The manifest from ``source``'s tree listing and item files, and the tree paths left out."""
    entries: list[dict] = []
    left_out: list[str] = []
    for row in read_tree(source / TREE_NAME):
        rel, blob, size = row["path"], row["git_blob"], int(row["size"])
        group = classify(rel)
        if group is None:
            left_out.append(rel)
            continue
        if GROUPS[group]["check"] == "git_blob":
            entries.append({"path": rel, "group": group, "git_blob": blob, "size": size})
            continue
        local = source / rel
        if not local.is_file() or git_blob_id(local) != blob:
            raise ValueError(f"{local}: missing or not the upstream file (git blob {blob} expected)")
        entries.append({"path": rel, "group": group, "sha256": sha256_of(local), "size": size})
    order = {g: i for i, g in enumerate(GROUPS)}
    entries.sort(key=lambda e: (order[e["group"]], e["path"]))
    manifest = {
        "format": FORMAT,
        "repository": REPOSITORY,
        "commit": COMMIT,
        "base_url": BASE_URL,
        "generated_by": "scripts/make_manifest.py",
        "groups": GROUPS,
        "files": entries,
    }
    return manifest, left_out


def render(manifest: dict) -> str:
    # One file entry a line keeps the file small and its diffs readable.
    head = {k: v for k, v in manifest.items() if k != "files"}
    text = json.dumps(head, indent=2, ensure_ascii=False)[:-2]
    rows = ",\n".join("    " + json.dumps(e, ensure_ascii=False, separators=(",", ":")) for e in manifest["files"])
    return f'{text},\n  "files": [\n{rows}\n  ]\n}}\n'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help=f"local copy of the item files and {TREE_NAME} (default {DEFAULT_SOURCE})")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="manifest to write")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the manifest is stale")
    args = parser.parse_args(argv)

    if not (args.source / TREE_NAME).is_file():
        print(f"{args.source}: no {TREE_NAME} (the listing of the upstream repository)", file=sys.stderr)
        return 2
    try:
        manifest, left_out = build(args.source)
    except (ValueError, OSError) as err:
        print(f"make_manifest: {err}", file=sys.stderr)
        return 2
    text = render(manifest)
    json.loads(text)  # the hand-made layout must still be valid JSON

    counts = {g: sum(e["group"] == g for e in manifest["files"]) for g in GROUPS}
    for rel in left_out:
        print(f"left out (not data): {rel}", file=sys.stderr)
    summary = ", ".join(f"{n} {g}" for g, n in counts.items())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current != text:
            print(f"{args.output}: stale; rerun scripts/make_manifest.py ({summary})", file=sys.stderr)
            return 1
        print(f"{args.output}: up to date ({summary})")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text) // 1024} KB): {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
