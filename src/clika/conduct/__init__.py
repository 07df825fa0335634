"""Conductivity (CD): fine-tune on fictional facts, apply the mastery gate, measure XRR.

    train.py     the field's trainer (transformers Trainer + peft), presets "cpu" and "paper"
    models.py    which model: a folder, a hub id or an embedded model
    fact_tests.py  the tests, asked through the Backend contract (hf, vllm)
    run.py       one experiment: models x targets, manifests, resume, records
    report.py    report.md

Metrics come from clika.metrics.cd. Heavy imports (torch, transformers, peft) happen
inside the functions.
"""
