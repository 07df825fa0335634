"""What the item exports share (`clika data export`: clika.data.lmeval_tasks, clika.data.hf_export).

An export folder is written from scratch: a previous export's files (listed in its MANIFEST) are removed first, so that
nothing of an earlier selection is left for lm-eval or ``datasets`` to find; any other non-empty folder is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from clika.errors import ConfigError
from clika.items import PIVOT, Item, lang_order_key

EXPORT_FORMATS = ("lm-eval", "hf")
MANIFEST = "clika-export.json"  # the files an export wrote


@dataclass(frozen=True)
class ExportSource:
    """Where the items came from (for the README); repository and commit when they are the CLiKA data."""

    description: str
    repository: str | None = None
    commit: str | None = None


@dataclass
class Export:
    format: str
    output: Path
    files: list[Path]
    counts: dict[tuple[str, str], int]
    names: list[str] = field(default_factory=list)  # lm-eval tasks / dataset configurations, in order
    groups: list[str] = field(default_factory=list)  # lm-eval groups


def upstream_source(root: Path, tasks: Sequence[str], langs: Sequence[str]) -> ExportSource:
    """An upstream-layout folder as a source: the commit clika's data manifest pins, and whether the item files of
    these tasks and languages are that commit's (sha256)."""
    from clika.data.fetch import load_manifest
    from clika.data.upstream_items import lang_of_dir

    manifest = load_manifest()
    items = [f for f in manifest.files if f.group == "items" and f.sha256 is not None]
    wanted = [f for f in items if f.path.split("/")[0] in tasks and lang_of_dir(f.path.split("/")[1]) in langs]
    differ = [f.path for f in wanted if not (root / f.path).is_file()
              or hashlib.sha256((root / f.path).read_bytes()).hexdigest() != f.sha256]
    check = f"all {len(wanted)} item files match their sha256 in clika's data manifest"
    if differ:
        check = f"{len(differ)} of its {len(wanted)} item files differ from clika's data manifest, e.g. {differ[0]}"
    description = f"the CLiKA data in the upstream layout at {root} ({check})"
    return ExportSource(description, manifest.repository, manifest.commit)


def start(items: Sequence[Item], out: Path) -> dict[tuple[str, str], list[Item]]:
    """The units of ``items`` (ConfigError: none), ``out`` cleared for them."""
    if not items:
        raise ConfigError("nothing to export: no items for this selection of tasks and languages")
    clear_output(out)
    return units(items)


def finish(out: Path, fmt: str, files: list[Path], readme: str, version: str) -> list[Path]:
    """``files``, then README.md and the export's file list (MANIFEST, for the next export into the folder)."""
    files = [*files, write_text(out / "README.md", readme)]
    rels = sorted(p.relative_to(out).as_posix() for p in files)
    manifest = json.dumps({"format": fmt, "clika_version": version, "files": rels}, indent=1) + "\n"
    return [*files, write_text(out / MANIFEST, manifest)]


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def origin(source: ExportSource) -> str:  # where the items came from, for a README
    return source.description + (f", upstream commit `{source.commit}` ({source.repository})" if source.commit else "")


def langs_table(counts: Mapping[tuple[str, str], int]) -> tuple[list[str], str]:
    """The languages of ``counts`` in the paper's order, and its count_table."""
    langs = sorted({lang for _, lang in counts}, key=lang_order_key)
    return langs, count_table(dict(counts), langs)


def units(items: Sequence[Item]) -> dict[tuple[str, str], list[Item]]:
    """(task, lang) -> items: tasks in first-seen order, languages in the paper's order, each language's
    items in the pivot language's order (ids the pivot lacks after, in their own order), so that the
    first N rows of every language are the same N questions."""
    by_unit: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        by_unit.setdefault((item.task, item.lang), []).append(item)
    out: dict[tuple[str, str], list[Item]] = {}
    for task in dict.fromkeys(i.task for i in items):
        order = {item.item_id: k for k, item in enumerate(by_unit.get((task, PIVOT), []))}
        for lang in sorted((lang for t, lang in by_unit if t == task), key=lang_order_key):
            out[(task, lang)] = sorted(by_unit[(task, lang)], key=lambda i: order.get(i.item_id, len(order)))
    return out


def license_text(source: ExportSource) -> str:
    if source.commit is None:
        return ("These items are not the upstream CLiKA data: their licence is that of their source "
                f"({source.description}; clika's own built-in mini set is under clika's licence, Apache-2.0).")
    return (f"The upstream repository ({source.repository}, commit {source.commit}) has **no license file** "
            "(none in its file list at that commit): its authors have granted no licence to copy or redistribute "
            "this data, and none is granted here. Use it for research as the paper's authors published it, and ask "
            "them before you redistribute it. x_csqa is built from the CommonsenseQA dev set and x_copa from "
            "XCOPA-style data, whose own terms may apply as well.")


def check_output(out: Path) -> list[str]:
    """Before any work: ``out`` is new, empty, or an earlier export (ConfigError otherwise); the files (relative)
    the earlier export wrote."""
    if out.exists() and not out.is_dir():
        raise ConfigError("--output: is a file, not a folder", out)
    if not out.is_dir() or not any(out.iterdir()):
        return []
    manifest = out / MANIFEST
    if not manifest.is_file():
        raise ConfigError("--output: the folder is not empty and holds no earlier clika export (choose a new "
                          "or an empty folder)", out)
    try:
        return [str(rel) for rel in json.loads(manifest.read_text(encoding="utf-8"))["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigError(f"--output: its {MANIFEST} is unreadable; remove the folder first", out) from None


def clear_output(out: Path) -> Path:
    """The export folder, created, with a previous export's files removed (see check_output)."""
    if listed := check_output(out):
        root = out.resolve()
        for rel in listed:
            path = (out / rel).resolve()
            if path.is_relative_to(root) and path.is_file():
                path.unlink()
        for folder in sorted({(out / rel).parent for rel in listed}, key=lambda p: len(p.parts), reverse=True):
            if folder != out and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        (out / MANIFEST).unlink()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"--output: cannot create the folder ({err.strerror or err})", out) from None
    return out


def count_table(counts: dict[tuple[str, str], int], order_langs: Sequence[str]) -> str:
    """Items per task (rows) and language (columns), as a markdown table."""
    lines = ["| task | " + " | ".join(order_langs) + " |", "| --- |" + " ---: |" * len(order_langs)]
    for task in dict.fromkeys(t for t, _ in counts):
        lines.append(f"| {task} | " + " | ".join(str(counts.get((task, lang), "–")) for lang in order_langs) + " |")
    return "\n".join(lines)
