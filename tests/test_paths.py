"""clika.paths: model names as folder names that cannot climb out of their parent."""

from __future__ import annotations

from pathlib import Path

from clika.paths import safe_dirname


def test_safe_dirname_never_escapes():
    assert safe_dirname("meta-llama/Llama-3-8B") == "meta-llama__Llama-3-8B"
    for evil in ("../../etc/passwd", "..", "/abs/../x", "a\\..\\b", "", "...", "~/x y"):
        name = safe_dirname(evil)
        assert name and "/" not in name and "\\" not in name and ".." not in name and not name.startswith(".")
        assert (Path("/runs") / name).resolve().parent == Path("/runs")
