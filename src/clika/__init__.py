"""clika: Cross-Lingual Knowledge Alignment (CLiKA) for language models.

    import clika
    frame = clika.load_results("runs/gemma3-270m")          # a pandas DataFrame of metric records
    result = clika.score(clika.ScoreOptions("../shared/clika-data", tasks=["x_geo"]))
    result = clika.evaluate(clika.RunOptions(tasks=["mini_factual"]))

The data flows one way:
    items (clika.data) -> prompts -> backends -> scoring -> store -> metrics -> report
The command line (clika.cli) is a thin layer over clika.api, whose functions are re-exported here
(imported on first use, so `import clika` stays light).
"""

__version__ = "0.2.0"

_API = ("CompareOptions", "FindingsOptions", "ReportOptions", "RunOptions", "ScoreOptions", "compare", "evaluate",
        "findings", "load_results", "report", "score", "validate", "conduct")
__all__ = ["__version__", "api", *_API]


def __getattr__(name: str):
    if name == "api" or name in _API:
        import importlib

        api = importlib.import_module("clika.api")
        return api if name == "api" else getattr(api, name)
    raise AttributeError(f"module 'clika' has no attribute {name!r}")
