"""What a read of predictions covered, and the one rule for complete coverage.

A model is complete on a task when it has predictions in every language the task expects, none cut short (fewer
than the item file's items, ``short_cells``: "x_geo/de: 120 of 200 items"; a cut file is partial like a missing
language: its accuracy is of the items that survived the cut, not of the task), and complete when complete on every
task of the read. A task expects (``expected_langs``) in the upstream layout its languages (the paper's ten, or
--langs) with an item file or predictions (clika.data.upstream_predictions decides); in other layouts, the languages
any model was read in. Overall values, ranks and claim pools use complete models x tasks only (``partial_cells``,
``complete_models``); a partial model or variant keeps its per-task rows, marked partial.

``Coverage`` summarises one read for score, compare, findings and report: files read and skipped by reason, models
with their tasks x languages, items missing against the item files; ``summary`` gives the lines they print,
``to_dict`` / ``write`` the coverage.json they write beside their outputs.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from clika.data.reading import CHOSEN_SKIPS, SKIP_REASONS, FileEntry, PredictionReadResult
from clika.errors import DataError
from clika.items import ordered_langs

Cell = tuple[str, str]  # (model, task)
SHOWN = 8  # partial models / truncated files named in the summary before "and N more"


def expected_langs_of(langs_by_cell: Mapping[Cell, Iterable[str]],
                      asked: Sequence[str] | None = None) -> dict[str, tuple[str, ...]]:
    """task -> the languages any model has for it (restricted to ``asked`` when given)."""
    union: dict[str, set[str]] = defaultdict(set)
    for (_, task), langs in langs_by_cell.items():
        union[task].update(langs)
    return {task: tuple(ordered_langs(lang for lang in langs if not asked or lang in asked))
            for task, langs in union.items()}


def short_cells(counts: Mapping[tuple[str, str, str], int],
                item_counts: Mapping[tuple[str, str], int]) -> dict[Cell, dict[str, tuple[int, int]]]:
    """(model, task) -> {lang: (predictions, items)} of the languages read with fewer predictions than their item
    file has items."""
    out: dict[Cell, dict[str, tuple[int, int]]] = defaultdict(dict)
    for (model, task, lang), n in counts.items():
        if (n_items := item_counts.get((task, lang))) is not None and n < n_items:
            out[(model, task)][lang] = (n, n_items)
    return {cell: {lang: langs[lang] for lang in ordered_langs(langs)} for cell, langs in out.items()}


def partial_cells(langs_by_cell: Mapping[Cell, Iterable[str]], expected: Mapping[str, Sequence[str]],
                  short: Mapping[Cell, Container[str]] | None = None) -> dict[Cell, tuple[str, ...]]:
    """(model, task) -> the expected languages it lacks or, given ``short`` (short_cells), has cut short; where any."""
    have, cut = {cell: set(langs) for cell, langs in langs_by_cell.items()}, short or {}
    bad = {cell: tuple(lang for lang in expected.get(cell[1], ()) if lang not in langs or lang in cut.get(cell, ()))
           for cell, langs in have.items()}
    return {cell: langs for cell, langs in bad.items() if langs}


def complete_models(tasks_by_model: Mapping[str, Iterable[str]], partial: Container[Cell],
                    tasks: Iterable[str]) -> list[str]:
    """Models that have every one of ``tasks``, none of them partial (in the mapping's order)."""
    wanted = set(tasks)
    return [m for m, have in tasks_by_model.items()
            if wanted <= set(have) and not any((m, t) in partial for t in wanted)]


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _item_counts(files: Iterable[FileEntry]) -> dict[tuple[str, str], int]:  # (task, lang) -> item file size
    return {(f.task, f.lang): f.n_items for f in files
            if f.status == "read" and f.n_items is not None and f.task and f.lang}


@dataclass
class Coverage:
    """One read: files, predictions per (model, task, lang), each task's expected languages, item file sizes."""

    source: str
    layout: str
    files: list[FileEntry] = field(default_factory=list)
    counts: dict[tuple[str, str, str], int] = field(default_factory=dict)
    expected: dict[str, tuple[str, ...]] = field(default_factory=dict)
    item_counts: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def of(cls, read: PredictionReadResult, source: str | Path, layout: str,
           langs: Sequence[str] | None = None) -> Coverage:
        read_files = [f for f in read.files if f.status == "read"]
        counts: Counter = Counter()
        if read_files and all(f.model and f.task and f.lang for f in read_files):
            for f in read_files:
                counts[(f.model, f.task, f.lang)] += f.n or 0
        else:  # files holding several models (clika's predictions.jsonl): count the predictions
            counts.update((p.model, p.task, p.lang) for p in read.predictions)
        cov = cls(str(source), layout, list(read.files), dict(counts), item_counts=_item_counts(read_files))
        cov.expected = dict(read.expected_langs) if read.expected_langs is not None \
            else expected_langs_of(cov.langs_by_cell(), langs)
        return cov

    @classmethod
    def merge(cls, parts: Sequence[Coverage]) -> Coverage:
        """Several sources read together (compare's run folders and --predictions)."""
        if len(parts) == 1:
            return parts[0]
        out = cls(" + ".join(p.source for p in parts), "+".join(dict.fromkeys(p.layout for p in parts)))
        counts: Counter = Counter()
        for p in parts:
            out.files += [FileEntry(**{**f.__dict__, "path": f"{p.source}/{f.path}"}) for f in p.files]
            counts.update(p.counts)
            out.item_counts.update(p.item_counts)
        out.counts = dict(counts)
        # a task expects every language any part expects
        out.expected = expected_langs_of({(i, task): langs for i, p in enumerate(parts)
                                          for task, langs in p.expected.items()})
        return out

    def langs_by_cell(self) -> dict[Cell, set[str]]:
        out: dict[Cell, set[str]] = defaultdict(set)
        for model, task, lang in self.counts:
            out[(model, task)].add(lang)
        return dict(out)

    def tasks_by_model(self) -> dict[str, list[str]]:
        models = sorted({model for model, _, _ in self.counts})
        return {m: sorted({task for model, task, _ in self.counts if model == m}) for m in models}

    @property
    def tasks(self) -> list[str]:
        return sorted({task for _, task, _ in self.counts})

    def short(self) -> dict[Cell, dict[str, tuple[int, int]]]:
        return short_cells(self.counts, self.item_counts)

    def partial(self) -> dict[Cell, tuple[str, ...]]:  # (model, task) -> expected languages missing or cut short
        return partial_cells(self.langs_by_cell(), self.expected, self.short())

    def complete_models(self) -> list[str]:
        return complete_models(self.tasks_by_model(), self.partial(), self.tasks)

    def partial_models(self) -> dict[str, str]:
        """model -> what it lacks ("x_geo: en only, 1 of 10 languages", "x_geo/de: 120 of 200 items"),
        for every model that is not complete."""
        by_cell, short, complete = self.langs_by_cell(), self.short(), set(self.complete_models())
        missing = partial_cells(by_cell, self.expected)
        out = {}
        for model, tasks in self.tasks_by_model().items():
            parts = []
            for task in tasks:
                expected = self.expected.get(task, ())
                if (model, task) in missing:
                    langs = [lang for lang in ordered_langs(by_cell[(model, task)]) if lang in expected]
                    parts.append(f"{task}: {' '.join(langs) or 'none'} only, {len(langs)} of {len(expected)} languages")
                parts += [f"{task}/{lang}: {n} of {n_items} items"
                          for lang, (n, n_items) in short.get((model, task), {}).items() if lang in expected]
            lacking = [t for t in self.tasks if t not in tasks]
            out[model] = "; ".join(parts + (["no " + ", ".join(lacking)] if lacking else []))
        return {model: what for model, what in out.items() if model not in complete}

    def truncated(self) -> list[FileEntry]:  # files read with fewer predictions than their item file has items
        return [f for f in self.files if f.status == "read" and f.n_items is not None and (f.n or 0) < f.n_items]

    def skipped(self) -> list[FileEntry]:
        return [f for f in self.files if f.status == "skipped"]

    def summary(self, verbose: bool = False) -> list[tuple[str, str]]:
        """(level, line) pairs: level "warning" for what changes or drops a number, "info" otherwise."""
        read, others, skipped = ([f for f in self.files if f.status == s] for s in ("read", "other", "skipped"))
        line = f"read {_plural(len(read), 'prediction file')} ({sum(self.counts.values()):,} predictions)"
        if not self.files:  # metric records without the coverage.json of the read that made them
            line = (f"{_plural(len(self.tasks_by_model()), 'model')} from the metric records (no coverage.json "
                    "beside them names the files read)")
        if others:
            line += f"; {_plural(len(others), 'other file')} not predictions (item files, model inputs, scripts)"
        out = [("info", f"coverage of {self.source}: {line}")]
        by_reason = Counter(f.reason for f in skipped)
        order = [*SKIP_REASONS, *sorted(set(by_reason) - set(SKIP_REASONS), key=str)]
        more = "" if verbose else " (--verbose lists them; coverage.json has every file)"
        for chosen in (False, True):
            reasons = {r: by_reason[r] for r in order if by_reason.get(r) and (r in CHOSEN_SKIPS) == chosen}
            if reasons:
                text = "; ".join(f"{n} {SKIP_REASONS.get(r or '', r)}" for r, n in reasons.items())
                out.append(("info" if chosen else "warning",
                            f"skipped {_plural(sum(reasons.values()), 'file')}: {text}{more}"))
        if verbose:
            out += [("info", f"  skipped {f.path}: {f.detail}" + (f" (line {f.line})" if f.line else ""))
                    for f in skipped]
        if complete := self.complete_models():
            sizes = [len(self.expected.get(t, ())) for t in self.tasks]
            langs = str(sizes[0]) if len(set(sizes)) == 1 else ", ".join(f"{t} {n}" for t, n in zip(self.tasks, sizes))
            out.append(("info", f"complete: {_plural(len(complete), 'model')} × {_plural(len(self.tasks), 'task')} "
                                f"({', '.join(self.tasks)}) × {langs} languages"))
        # a file cut short is named here ("x_geo/de: 120 of 200 items"), like a missing language
        if partial := self.partial_models():
            shown = list(partial.items())[:None if verbose else SHOWN]
            text = ", ".join(f"{m} ({what})" for m, what in shown)
            rest = f"; and {len(partial) - len(shown)} more (--verbose)" if len(shown) < len(partial) else ""
            out.append(("warning", f"partial, left out of overall values, ranks and claim pools: "
                                   f"{_plural(len(partial), 'model')}: {text}{rest}"))
        return out

    def to_dict(self) -> dict:  # what coverage.json holds
        by_cell, complete = self.langs_by_cell(), self.complete_models()
        missing, short = partial_cells(by_cell, self.expected), self.short()
        models = {m: {"complete": m in complete,
                      "tasks": {t: {"missing_langs": list(missing.get((m, t), ())),
                                    "short_langs": {lang: list(nn) for lang, nn in short.get((m, t), {}).items()},
                                    "n": {lang: self.counts[(m, t, lang)] for lang in ordered_langs(by_cell[(m, t)])}}
                                for t in tasks}}
                  for m, tasks in self.tasks_by_model().items()}
        return {"source": self.source, "layout": self.layout, "files_read": sum(f.status == "read" for f in self.files),
                "files_skipped": dict(Counter(f.reason or "" for f in self.skipped())),
                "expected_langs": {t: list(v) for t, v in sorted(self.expected.items())},
                "complete_models": complete, "partial_models": self.partial_models(),
                "truncated": [f.to_dict() for f in self.truncated()], "models": models,
                "files": [f.to_dict() for f in self.files]}

    @classmethod
    def read(cls, path: str | Path) -> Coverage:  # a coverage.json written by ``write``
        path = Path(path)
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            cov = cls(d["source"], d["layout"], [FileEntry(**f) for f in d.get("files", [])],
                      {(m, t, lang): n for m, info in d["models"].items() for t, cell in info["tasks"].items()
                       for lang, n in cell["n"].items()},
                      {t: tuple(langs) for t, langs in d["expected_langs"].items()})
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as err:
            raise DataError(f"not a coverage.json written by clika ({type(err).__name__}: {err})", path) from None
        cov.item_counts = _item_counts(cov.files)
        return cov

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def coverage_path(output: str | Path) -> Path:
    """Where a command writes coverage.json: inside an output folder, or beside an output file as
    <stem>.coverage.json (two outputs in one folder keep their own)."""
    output = Path(output)
    if output.suffix in (".jsonl", ".csv", ".md", ".json"):
        return output.with_name(f"{output.stem}.coverage.json")
    return output / "coverage.json"
