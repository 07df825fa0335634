"""Analysis: model-family registry, paired model comparisons, strategy summaries, findings.

    load_registry(user_file=None) -> FamilyRegistry          (registry.py, families.yaml)
    analyse(predictions, registry, pairs=..., n_boot=..., seed=...) -> AnalysisResult   (pipeline.py)
    write_outputs(result, output_dir) -> {name: path}          comparisons.jsonl/.md, strategy_summary.csv, findings.md
"""

from clika.analysis.pipeline import AnalysisResult, analyse, write_outputs
from clika.analysis.registry import STRATEGIES, FamilyRegistry, ModelEntry, load_registry

__all__ = ["AnalysisResult", "FamilyRegistry", "ModelEntry", "STRATEGIES", "analyse", "load_registry", "write_outputs"]
