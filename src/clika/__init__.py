"""clika: Cross-Lingual Knowledge Alignment (CLiKA) for language models.

The data flows one way:
    items (clika.data) -> prompts -> backends -> scoring -> store -> metrics -> report
The command line (clika.cli) is a thin layer over clika.api.
"""

__version__ = "0.1.0"
