"""Analysis: the model-family registry (families.py), paired comparisons, strategy summaries, findings (pipeline.py)."""

from clika.analysis.families import STRATEGIES, FamilyRegistry, ModelEntry, load_families
from clika.analysis.pipeline import AnalysisResult, analyse

__all__ = ["AnalysisResult", "FamilyRegistry", "ModelEntry", "STRATEGIES", "analyse", "load_families"]
