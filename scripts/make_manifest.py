#!/usr/bin/env python
"""Write src/clika/data/manifest.json, the list of files `clika data fetch` downloads.

Reads a local copy of the upstream CLiKA repository layout (default:
../shared/clika-data beside the project root) and records, for every file,
its path in the repository, its group and, where the local copy is known to
be byte-identical to upstream, its sha256 and size:

    items       x_csqa, x_copa, x_geo, x_name item files      hash pinned
    fictional   fictional/ (train, test/target, test/Translate, README.md)
                                                               hash pinned
    predictions *_res*.jsonl, *_model_input.jsonl, generate_input.jsonl
                sha256/size null: the local copy dropped fields, so the
                upstream hashes are unknown; fetched only on request and
                reported as unverified.

Any other file of the local copy (its own README.md, x_copa/*/val.*.jsonl) is
left out and listed on stderr. The manifest is deterministic (sorted paths, no
dates), so `--check` can tell whether it is up to date.

    .venv/bin/python scripts/make_manifest.py            # write it
    .venv/bin/python scripts/make_manifest.py --check    # exit 1 if stale
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = PROJECT_ROOT.parent / "shared" / "clika-data"
DEFAULT_OUTPUT = PROJECT_ROOT / "src" / "clika" / "data" / "manifest.json"

REPOSITORY = "https://github.com/RiverGao/CLiKA"
COMMIT = "51059fe908ae2508740732056d8db3eba6c0f751"
BASE_URL = f"https://raw.githubusercontent.com/RiverGao/CLiKA/{COMMIT}/"
FORMAT = 1

# Files of the local copy that are byte-identical to upstream.
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
# Present upstream, but the local copy differs from it (fields dropped).
PREDICTION_PATTERNS = [
    r"x_[a-z]+/[^/]+/[^/]+_res[^/]*\.jsonl",
    r"x_[a-z]+/x_[a-z]+_[A-Za-z_]+_model_input\.jsonl",
    r"x_[a-z]+/[^/]+/generate_input\.jsonl",
]
GROUPS = {
    "items": {
        "verified": True,
        "fetched": "always",
        "note": "item files of x_csqa, x_copa, x_geo, x_name; sha256 and size pinned",
    },
    "fictional": {
        "verified": True,
        "fetched": "always",
        "note": "fictional-knowledge set (train, test/target, test/Translate); sha256 and size pinned",
    },
    "predictions": {
        "verified": False,
        "fetched": "only with --predictions",
        "note": (
            "UNVERIFIED: sha256 and size are null because the upstream hashes are unknown "
            "(the local copy the manifest was made from dropped fields); these files are "
            "downloaded only on request and reported as 'unverified (no pinned hash)'. "
            "Upstream also holds prediction files of other runs that are not listed here."
        ),
    },
}


def classify(path: str) -> str | None:
    for group, patterns in (("items", ITEM_PATTERNS), ("fictional", FICTIONAL_PATTERNS),
                            ("predictions", PREDICTION_PATTERNS)):
        if any(re.fullmatch(p, path) for p in patterns):
            return group
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build(source: Path) -> tuple[dict, list[str]]:
    """The manifest of ``source``, and the relative paths left out."""
    entries: list[dict] = []
    left_out: list[str] = []
    for file in sorted(p for p in source.rglob("*") if p.is_file()):
        rel = file.relative_to(source).as_posix()
        group = classify(rel)
        if group is None:
            left_out.append(rel)
            continue
        pinned = GROUPS[group]["verified"]
        entries.append({
            "path": rel,
            "group": group,
            "sha256": sha256_of(file) if pinned else None,
            "size": file.stat().st_size if pinned else None,
        })
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
    rows = ",\n".join("    " + json.dumps(e, ensure_ascii=False) for e in manifest["files"])
    return f'{text},\n  "files": [\n{rows}\n  ]\n}}\n'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help=f"local copy of the upstream layout (default {DEFAULT_SOURCE})")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="manifest to write")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the manifest is stale")
    args = parser.parse_args(argv)

    if not (args.source / "x_geo").is_dir():
        print(f"{args.source}: not a copy of the upstream CLiKA layout (no x_geo/)", file=sys.stderr)
        return 2
    manifest, left_out = build(args.source)
    text = render(manifest)
    json.loads(text)  # the hand-made layout must still be valid JSON

    counts = {g: sum(e["group"] == g for e in manifest["files"]) for g in GROUPS}
    for rel in left_out:
        print(f"left out (not a known upstream file): {rel}", file=sys.stderr)
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
    print(f"wrote {args.output}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
