"""Conductivity (CD): fine-tune on fictional facts, apply the mastery gate, measure xrr.

Heavy imports (torch, transformers, peft) happen in the submodules:
``clika.conduct.train``, ``clika.conduct.evaluate``, ``clika.conduct.run``.
"""
