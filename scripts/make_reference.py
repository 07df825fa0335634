"""Build the packaged reference (src/clika/report/reference/published.jsonl, published_items.npz, published.json).

    .venv/bin/python scripts/make_reference.py --predictions ../shared/clika-data

Scores the published predictions of the CLiKA authors (the upstream layout, first-character
answers) with clika's own metrics and keeps what `clika report --reference published` needs to
place a user's models among them: accuracy, RA and en-CO per language (and the RA / en-CO means,
aggregate "mean"), dominant_option_flag, unparseable_rate, and home_transfer per query language and
overall (not the S>L cells), each with its interval, n, chance and note (the reader of the
upstream layout attaches each x_geo / x_name item's culture, ``original_lang``).

published_items.npz holds every model's answer per task, language and item (clika.report.reference_items:
the chosen option as a small int, the gold option, the item's culture, keyed by the upstream item ids), so
that `clika report --reference published` recomputes the 40 models on a user's languages and items with
the same metrics, n_boot and seed. Unpacked, it gives back exactly the predictions scored here (checked).

--full-output FILE also writes every record (pairwise and S>L cells included), e.g. for the
report of the 40 published models whose screenshots are in docs/screenshots/.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "clika" / "report" / "reference"
DIGITS = 5  # values are rounded to this many decimals: far below any interval's width


def published_predictions(root: Path):
    """Every published prediction (the reader attaches each factual item's culture)."""
    from clika.api import read_predictions_checked

    return read_predictions_checked(root, "clika-repo").predictions


def _essentials(predictions) -> list[tuple]:
    """What the metrics read of each prediction (not its raw text), in one order."""
    from clika.report.reference_items import ORIGIN

    return sorted((p.model, p.task, p.lang, p.item_id, -1 if p.choice is None else p.choice, p.gold, p.n_options,
                   (p.extra or {}).get(ORIGIN, "")) for p in predictions)


def write_items_checked(predictions, path: Path) -> Path:
    """published_items.npz, checked to give back exactly the predictions it was made of."""
    from clika.report.reference_items import ReferenceItems, write_items

    write_items(predictions, path)
    items = ReferenceItems.load(path)
    back = [p for task in items.tasks for p in items.predictions(task)]
    if _essentials(back) != _essentials(predictions):
        raise SystemExit(f"{path} does not give back the predictions it was made of")
    return path


def _compact(d: dict) -> dict:
    """Values rounded; fields that are null left out (read_records reads a missing field as null)."""
    return {k: (round(v, DIGITS) if isinstance(v, float) else v) for k, v in d.items() if v is not None}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--predictions", type=Path, default=ROOT.parent / "shared" / "clika-data")
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--output", type=Path, default=OUT, help="folder for published.jsonl, published_items.npz and published.json")
    ap.add_argument("--full-output", type=Path, help="also write every record to this .jsonl/.csv file")
    args = ap.parse_args(argv)

    import clika
    from clika.data.lines import write_json_lines
    from clika.metrics.compute import compute_metrics
    from clika.metrics.record_io import write_records
    from clika.report.reference_items import KEEP, kept

    predictions = published_predictions(args.predictions)
    records = compute_metrics(predictions, n_boot=args.n_boot, seed=args.seed)
    if args.full_output:
        write_records(records, args.full_output)
    # home_transfer's S -> L cells (a source language and no aggregate) are left out: only its means are kept.
    records = kept(records)
    args.output.mkdir(parents=True, exist_ok=True)
    records_path = args.output / "published.jsonl"
    write_json_lines((_compact(r.to_dict()) for r in records), records_path, compact=True)
    items_path = write_items_checked(predictions, args.output / "published_items.npz")
    manifest = json.loads((ROOT / "src" / "clika" / "data" / "manifest.json").read_text(encoding="utf-8"))
    meta = {
        "description": "the 40 models whose predictions the CLiKA authors published (Gao et al. 2024)",
        "repository": manifest["repository"],
        "commit": manifest["commit"],
        "answers": "upstream first-character rule (clika score --extract first-char)",
        "n_boot": args.n_boot,
        "seed": args.seed,
        "clika_version": clika.__version__,
        "generated_by": "scripts/make_reference.py",
        "generated_on": date.today().isoformat(),
        "metrics": sorted(KEEP),
        "values_rounded_to_decimals": DIGITS,
        "models": sorted({r.model for r in records}),
        "tasks": sorted({r.task for r in records}),
        "n_predictions": len(predictions),
        "n_records": len(records),
        "sha256": hashlib.sha256(records_path.read_bytes()).hexdigest(),
        "items_file": items_path.name,
        "items_sha256": hashlib.sha256(items_path.read_bytes()).hexdigest(),
    }
    (args.output / "published.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    size, items_size = records_path.stat().st_size, items_path.stat().st_size
    print(f"wrote {len(records)} records ({size / 1024:.0f} KB) to {records_path}, the answers per item "
          f"({items_size / 1024:.0f} KB) to {items_path} and their provenance to {args.output / 'published.json'}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
