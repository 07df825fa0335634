"""Analysis: model-family registry, paired model comparisons, strategy summaries, findings.

    load_families(user_file=None) -> FamilyRegistry          (families.py, families.yaml)
    analyse(predictions, registry, pairs=..., n_boot=..., seed=...) -> AnalysisResult   (pipeline.py)
"""

from clika.analysis.families import STRATEGIES, FamilyRegistry, ModelEntry, load_families
from clika.analysis.pipeline import AnalysisResult, analyse

__all__ = ["AnalysisResult", "FamilyRegistry", "ModelEntry", "STRATEGIES", "analyse", "load_families"]
