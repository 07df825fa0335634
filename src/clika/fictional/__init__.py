"""Fictional knowledge for the conductivity level: the project's generator and the upstream loader."""

from clika.fictional.dataset import ConductSplit, TestQuestion, TrainExample, TranslationTest, read_split, write_split
from clika.fictional.generator import Entity, Fact, FictionalSet, fold, generate
from clika.fictional.names import SCHEMES
from clika.fictional.overlap import STRATA, subject_overlap

__all__ = ["ConductSplit", "Entity", "Fact", "FictionalSet", "SCHEMES", "STRATA", "TestQuestion", "TrainExample",
           "TranslationTest", "fold", "generate", "read_split", "subject_overlap", "write_split"]  # fmt: skip
