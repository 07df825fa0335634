"""Fictional knowledge for the conductivity level: the project's generator and the upstream loader."""

from clika.fictional.dataset import ConductSplit, TestQuestion, TrainExample, TranslationTest, read_split, write_split
from clika.fictional.generator import Entity, Fact, FictionalSet, fold, generate

__all__ = [
    "ConductSplit", "Entity", "Fact", "FictionalSet", "TestQuestion", "TrainExample", "TranslationTest",
    "fold", "generate", "read_split", "write_split",
]  # fmt: skip
