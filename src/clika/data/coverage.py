"""What a read of predictions covered, and the one rule for complete coverage.

Complete coverage: a model is complete on a task when it has predictions in every language the
task expects, none of them fewer than the language's item file has items (a file cut short,
``short_cells``: "x_geo/de: 120 of 200 items"), and complete when it is complete on every task of
the read. A cut file is partial like a missing language: its accuracy is of the items that survived
the cut, not of the task. The languages a task expects (``expected_langs``):
- the upstream layout: the task's languages (the paper's ten, or those named in --langs) that
  have an item file or predictions (the reader decides, clika.data.upstream_predictions);
- other layouts: the languages any model was read in for that task (restricted to --langs).
Overall values, ranks and the pools of the paper's claims use complete models x tasks only
(``partial_cells``, ``complete_models``); a partial model or variant keeps its per-task rows,
marked partial, and is left out of those.

``Coverage`` summarises one read for the commands that read predictions (score, compare,
findings; report from the records): files read and skipped by reason, models and variants with
their tasks x languages, items missing against the item files. ``summary`` gives the lines they
print, ``to_dict`` / ``write`` the coverage.json they write beside their outputs.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from clika.data.reading import CHOSEN_SKIPS, SKIP_REASONS, FileEntry, PredictionReadResult
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
    """(model, task) -> {lang: (predictions, items in the item file)} of the languages read with fewer
    predictions than the item file has items (only where there is an item file to count against)."""
    out: dict[Cell, dict[str, tuple[int, int]]] = defaultdict(dict)
    for (model, task, lang), n in counts.items():
        n_items = item_counts.get((task, lang))
        if n_items is not None and n < n_items:
            out[(model, task)][lang] = (n, n_items)
    return {cell: {lang: langs[lang] for lang in ordered_langs(langs)} for cell, langs in out.items()}


def partial_cells(langs_by_cell: Mapping[Cell, Iterable[str]], expected: Mapping[str, Sequence[str]],
                  short: Mapping[Cell, Container[str]] | None = None) -> dict[Cell, tuple[str, ...]]:
    """(model, task) -> the expected languages that make it partial: those it lacks and, where ``short``
    (short_cells) is given, those cut short; for every (model, task) that has some."""
    out = {}
    for cell, langs in langs_by_cell.items():
        have, cut = set(langs), (short or {}).get(cell, ())
        bad = tuple(lang for lang in expected.get(cell[1], ()) if lang not in have or lang in cut)
        if bad:
            out[cell] = bad
    return out


def complete_models(tasks_by_model: Mapping[str, Iterable[str]], partial: Container[Cell],
                    tasks: Iterable[str]) -> list[str]:
    """Models that have every one of ``tasks``, none of them partial (in the mapping's order)."""
    wanted = set(tasks)
    return [m for m, have in tasks_by_model.items()
            if wanted <= set(have) and not any((m, t) in partial for t in wanted)]


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


@dataclass
class Coverage:
    """One read: files (FileEntry), predictions per (model, task, lang), the languages each task
    expects, and the item files' sizes per (task, lang) where the layout has item files."""

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
        if read_files and all(f.model and f.task and f.lang for f in read_files):
            counts: dict = Counter()
            for f in read_files:
                counts[(f.model, f.task, f.lang)] += f.n or 0
        else:  # files holding several models (clika's predictions.jsonl): count the predictions
            counts = Counter((p.model, p.task, p.lang) for p in read.predictions)
        cov = cls(str(source), layout, list(read.files), dict(counts))
        cov.item_counts = {(f.task, f.lang): f.n_items for f in read_files
                           if f.n_items is not None and f.task and f.lang}
        cov.expected = dict(read.expected_langs) if read.expected_langs is not None \
            else expected_langs_of(cov.langs_by_cell(), langs)
        return cov

    @classmethod
    def merge(cls, parts: Sequence[Coverage]) -> Coverage:
        """Several sources read together (compare's run folders and --predictions)."""
        if len(parts) == 1:
            return parts[0]
        out = cls(" + ".join(p.source for p in parts), "+".join(dict.fromkeys(p.layout for p in parts)))
        expected: dict[str, set[str]] = defaultdict(set)
        for p in parts:
            out.files += [FileEntry(**{**f.__dict__, "path": f"{p.source}/{f.path}"}) for f in p.files]
            for key, n in p.counts.items():
                out.counts[key] = out.counts.get(key, 0) + n
            out.item_counts.update(p.item_counts)
            for task, langs in p.expected.items():
                expected[task].update(langs)
        out.expected = {t: tuple(ordered_langs(langs)) for t, langs in expected.items()}
        return out

    # ---------------------------------------------------------------- what it says

    def langs_by_cell(self) -> dict[Cell, set[str]]:
        out: dict[Cell, set[str]] = defaultdict(set)
        for model, task, lang in self.counts:
            out[(model, task)].add(lang)
        return dict(out)

    def tasks_by_model(self) -> dict[str, list[str]]:
        out: dict[str, dict[str, None]] = {}
        for model, task, _ in self.counts:
            out.setdefault(model, {})[task] = None
        return {m: sorted(t) for m, t in sorted(out.items())}

    @property
    def tasks(self) -> list[str]:
        return sorted({task for _, task, _ in self.counts})

    def short(self) -> dict[Cell, dict[str, tuple[int, int]]]:
        return short_cells(self.counts, self.item_counts)

    def partial(self) -> dict[Cell, tuple[str, ...]]:
        """(model, task) -> the expected languages that make it partial: missing or cut short."""
        return partial_cells(self.langs_by_cell(), self.expected, self.short())

    def complete_models(self) -> list[str]:
        return complete_models(self.tasks_by_model(), self.partial(), self.tasks)

    def partial_models(self) -> dict[str, str]:
        """model -> what it lacks ("x_geo: en only, 1 of 10 languages", "x_geo/de: 120 of 200 items"),
        for every model that is not complete."""
        missing, short = partial_cells(self.langs_by_cell(), self.expected), self.short()
        have, by_cell, complete = self.tasks_by_model(), self.langs_by_cell(), set(self.complete_models())
        out = {}
        for model, tasks in have.items():
            if model in complete:
                continue
            parts = []
            for task in tasks:
                if (model, task) in missing:
                    langs = [lang for lang in ordered_langs(by_cell[(model, task)]) if lang in self.expected[task]]
                    parts.append(f"{task}: {' '.join(langs) or 'none'} only, {len(langs)} of "
                                 f"{len(self.expected[task])} languages")
                parts += [f"{task}/{lang}: {n} of {n_items} items"
                          for lang, (n, n_items) in short.get((model, task), {}).items()
                          if lang in self.expected.get(task, ())]
            lacking = [t for t in self.tasks if t not in tasks]
            if lacking:
                parts.append("no " + ", ".join(lacking))
            out[model] = "; ".join(parts)
        return out

    def truncated(self) -> list[FileEntry]:
        """Files read with fewer predictions than their item file has items."""
        return [f for f in self.files if f.status == "read" and f.n_items is not None and (f.n or 0) < f.n_items]

    def skipped(self) -> list[FileEntry]:
        return [f for f in self.files if f.status == "skipped"]

    def summary(self, verbose: bool = False) -> list[tuple[str, str]]:
        """(level, line) pairs: level "warning" for what changes or drops a number, "info" otherwise."""
        read = [f for f in self.files if f.status == "read"]
        others = [f for f in self.files if f.status == "other"]
        skipped = self.skipped()
        n_pred = sum(self.counts.values())
        line = f"coverage of {self.source}: read {_plural(len(read), 'prediction file')} ({n_pred:,} predictions)"
        if not self.files:  # metric records without the coverage.json of the read that made them
            line = (f"coverage of {self.source}: {_plural(len(self.tasks_by_model()), 'model')} from the metric "
                    "records (no coverage.json beside them names the files read)")
        if others:
            line += f"; {_plural(len(others), 'other file')} not predictions (item files, model inputs, scripts)"
        out = [("info", line)]
        by_reason = Counter(f.reason for f in skipped)
        for chosen in (False, True):
            order = [*SKIP_REASONS, *sorted(set(by_reason) - set(SKIP_REASONS), key=str)]
            reasons = {r: by_reason[r] for r in order if by_reason.get(r) and (r in CHOSEN_SKIPS) == chosen}
            if reasons:
                text = "; ".join(f"{n} {SKIP_REASONS.get(r or '', r)}" for r, n in reasons.items())
                n = sum(reasons.values())
                more = "" if verbose else " (--verbose lists them; coverage.json has every file)"
                out.append(("info" if chosen else "warning", f"skipped {_plural(n, 'file')}: {text}{more}"))
        if verbose:
            out += [("info", f"  skipped {f.path}: {f.detail}" + (f" (line {f.line})" if f.line else ""))
                    for f in skipped]
        complete = self.complete_models()
        if complete:
            n_langs = sorted({len(self.expected.get(t, ())) for t in self.tasks})
            langs = f"{n_langs[0]} languages" if len(n_langs) == 1 else \
                ", ".join(f"{t} {len(self.expected.get(t, ()))}" for t in self.tasks) + " languages"
            out.append(("info", f"complete: {_plural(len(complete), 'model')} × {_plural(len(self.tasks), 'task')} "
                                f"({', '.join(self.tasks)}) × {langs}"))
        partial = self.partial_models()
        if partial:  # a file cut short is named here ("x_geo/de: 120 of 200 items"), like a missing language
            shown = list(partial.items()) if verbose else list(partial.items())[:SHOWN]
            text = ", ".join(f"{m} ({what})" for m, what in shown)
            more = f"; and {len(partial) - len(shown)} more (--verbose)" if len(shown) < len(partial) else ""
            out.append(("warning", f"partial, left out of overall values, ranks and claim pools: "
                                   f"{_plural(len(partial), 'model')}: {text}{more}"))
        return out

    def to_dict(self) -> dict:
        by_cell, complete = self.langs_by_cell(), self.complete_models()
        missing, short = partial_cells(by_cell, self.expected), self.short()
        models = {}
        for model, tasks in self.tasks_by_model().items():
            models[model] = {
                "complete": model in complete,
                "tasks": {t: {"missing_langs": list(missing.get((model, t), ())),
                              "short_langs": {lang: list(nn) for lang, nn in short.get((model, t), {}).items()},
                              "n": {lang: self.counts[(model, t, lang)] for lang in ordered_langs(by_cell[(model, t)])}}
                          for t in tasks},
            }
        return {
            "source": self.source, "layout": self.layout,
            "files_read": sum(f.status == "read" for f in self.files),
            "files_skipped": dict(Counter(f.reason or "" for f in self.skipped())),
            "expected_langs": {t: list(v) for t, v in sorted(self.expected.items())},
            "complete_models": complete,
            "partial_models": self.partial_models(),
            "truncated": [f.to_dict() for f in self.truncated()],
            "models": models,
            "files": [f.to_dict() for f in self.files],
        }

    @classmethod
    def read(cls, path: str | Path) -> Coverage:
        """A coverage.json written by ``write``."""
        from clika.errors import DataError

        path = Path(path)
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            cov = cls(d["source"], d["layout"], [FileEntry(**f) for f in d.get("files", [])])
            cov.counts = {(m, t, lang): n for m, info in d["models"].items() for t, cell in info["tasks"].items()
                          for lang, n in cell["n"].items()}
            cov.expected = {t: tuple(langs) for t, langs in d["expected_langs"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as err:
            raise DataError(f"not a coverage.json written by clika ({type(err).__name__}: {err})", path) from None
        cov.item_counts = {(f.task, f.lang): f.n_items for f in cov.files
                           if f.status == "read" and f.n_items is not None and f.task and f.lang}
        return cov

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def coverage_path(output: str | Path) -> Path:
    """Where a command writes coverage.json: inside an output folder, or beside an output file
    as <stem>.coverage.json (two outputs in one folder keep their own)."""
    output = Path(output)
    if output.suffix in (".jsonl", ".csv", ".md", ".json"):
        return output.with_name(f"{output.stem}.coverage.json")
    return output / "coverage.json"
