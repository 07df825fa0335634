"""Build the packaged reference results (src/clika/report/reference/published.jsonl + published.json).

    .venv/bin/python scripts/make_reference.py --predictions ../shared/clika-data

Scores the published predictions of the CLiKA authors (the upstream layout, first-character
answers) with clika's own metrics and keeps what `clika report --reference published` needs to
place a user's models among them: accuracy, RA and en-CO per language (and the RA / en-CO means,
aggregate "mean"), dominant_option_flag, unparseable_rate, and home_transfer per query language and
overall (not the S>L cells), each with its interval, n, chance and note (the reader of the
upstream layout attaches each x_geo / x_name item's culture, ``original_lang``).

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
# rankc is left out: upstream predictions keep only the chosen letter, not per-option scores, so
# it is undefined for every published model (its records would be 0.4 MB of "not available").
KEEP = {"accuracy", "ra", "en_co", "dominant_option_flag", "unparseable_rate", "home_transfer"}
DIGITS = 5  # values are rounded to this many decimals: far below any interval's width


def published_records(root: Path, n_boot: int, seed: int):
    """Every record of the published predictions (the reader attaches each factual item's culture)."""
    from clika.api import read_predictions_checked
    from clika.metrics.compute import compute_metrics

    read = read_predictions_checked(root, "clika-repo")
    return compute_metrics(read.predictions, n_boot=n_boot, seed=seed), len(read.predictions)


def _compact(d: dict) -> dict:
    """Values rounded; fields that are null left out (read_records reads a missing field as null)."""
    return {k: (round(v, DIGITS) if isinstance(v, float) else v) for k, v in d.items() if v is not None}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--predictions", type=Path, default=ROOT.parent / "shared" / "clika-data")
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--output", type=Path, default=OUT, help="folder for published.jsonl and published.json")
    ap.add_argument("--full-output", type=Path, help="also write every record to this .jsonl/.csv file")
    args = ap.parse_args(argv)

    import clika
    from clika.data.lines import write_json_lines
    from clika.metrics.record_io import write_records

    records, n_predictions = published_records(args.predictions, args.n_boot, args.seed)
    if args.full_output:
        write_records(records, args.full_output)
    # home_transfer's S -> L cells (a source language and no aggregate) are left out: only its means are kept.
    kept = [r for r in records if r.metric in KEEP and r.stratum is None
            and not (r.metric == "home_transfer" and r.lang_ref is not None and r.aggregate is None)]
    args.output.mkdir(parents=True, exist_ok=True)
    records_path = args.output / "published.jsonl"
    write_json_lines((_compact(r.to_dict()) for r in kept), records_path, compact=True)
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
        "models": sorted({r.model for r in kept}),
        "tasks": sorted({r.task for r in kept}),
        "n_predictions": n_predictions,
        "n_records": len(kept),
        "sha256": hashlib.sha256(records_path.read_bytes()).hexdigest(),
    }
    (args.output / "published.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    size = records_path.stat().st_size
    print(f"wrote {len(kept)} records ({size / 1024:.0f} KB) to {records_path} and its provenance to "
          f"{args.output / 'published.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
