"""Analysis: model-family registry, paired model comparisons, strategy summaries, findings.

    load_families(user_file=None) -> FamilyRegistry          (families.py, families.yaml)
    analyse(predictions, registry, pairs=..., n_boot=..., seed=...) -> AnalysisResult   (pipeline.py)
    write_outputs(result, output_dir) -> {name: path}          comparisons.jsonl/.md, strategy_summary.csv, findings.md
"""

from clika.analysis.families import STRATEGIES, FamilyRegistry, ModelEntry, load_families
from clika.analysis.pipeline import AnalysisResult, analyse, write_outputs

__all__ = ["AnalysisResult", "FamilyRegistry", "ModelEntry", "STRATEGIES", "analyse", "load_families", "write_outputs"]
