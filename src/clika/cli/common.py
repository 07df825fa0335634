"""What the commands share: comma lists, consoles, progress bars and the PF/CT table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from clika.cli.tables import stdout

__all__ = ["split_list", "stderr", "stdout", "print_warnings", "print_coverage", "RunProgress", "task_table"]


def split_list(values: str | Sequence[str] | None) -> list[str] | None:
    """"a,b" or ["a,b", "c"] -> ["a", "b", "c"]; None or empty -> None (= all)."""
    if values is None:
        return None
    items = [values] if isinstance(values, str) else list(values)
    parts = [p.strip() for v in items for p in str(v).split(",") if p.strip()]
    return parts or None


def stderr():
    from rich.console import Console

    # soft_wrap: a one-line message stays one line (a path is never broken across lines)
    return Console(stderr=True, highlight=False, soft_wrap=True)




EXCLUDE_HELP = ("Leave out files matching this glob (on the path relative to the predictions folder, or the "
                "file name); repeatable. Excluded files are listed in coverage.json.")
TRUST_HELP = ("Score with the prediction files' gold labels where they disagree with the item files beside them "
              "(otherwise an error naming the file, the count and the first disagreement).")


def print_warnings(console, warnings: Iterable[str]) -> None:
    for line in warnings:
        console.print(f"[yellow]warning:[/yellow] {line}", markup=True, highlight=False, soft_wrap=True)


def print_coverage(console, coverage, verbose: bool = False) -> None:
    """What a command read (clika.data.coverage.Coverage.summary): files read and skipped by reason,
    complete and partial models, items missing against the item files."""
    if coverage is None:
        return
    for level, line in coverage.summary(verbose):
        if level == "warning":
            print_warnings(console, [line])
        else:
            console.print(line, markup=False, highlight=False, soft_wrap=True)


class RunProgress:
    """Draws a run's RunEvents as a rich progress bar (items/s, ETA) on stderr."""

    def __init__(self, console):
        self.console = console
        self.bar = None
        self.task_id = None

    def __call__(self, event) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        if event.kind == "planned":
            if event.done:
                self.console.print(f"resuming: {event.done} of {event.total} items already in the store, "
                                   f"{event.total - event.done} to score")
            return
        if self.bar is None:
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[rate]}"), TextColumn("ETA"), TimeRemainingColumn(),
                                console=self.console)
            self.bar.start()
            self.task_id = self.bar.add_task("scoring", total=event.total, rate="- items/s")
        task = self.bar.tasks[0]
        self.bar.update(self.task_id, completed=event.done, description=f"{event.task}/{event.lang}",
                        rate=f"{task.speed:.1f} items/s" if task.speed else "- items/s")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def task_table(records, model: str, task: str, template: str | None = None):
    """Languages as rows: n, accuracy, RA and en-CO with their 95% intervals; chance in the title."""
    from clika import api
    from clika.cli.tables import TextTable

    wanted = ("accuracy", "ra", "en_co")
    cells: dict[tuple[str, str], object] = {}
    for r in records:
        if r.task == task and r.metric in wanted:
            cells[(r.lang, r.metric)] = r
    langs = sorted({lang for lang, _ in cells}, key=api.lang_order_key)
    chance = next((r.chance for (lang, m), r in cells.items() if m == "accuracy" and r.chance), None)
    chance_text = f"; chance accuracy {chance:.2f}" if chance else ""
    how = f" ({template} prompt)" if template else ""
    table = TextTable(f"{model} · {task}{how}: PF (accuracy, RA) and CT (en-CO), 95% bootstrap intervals{chance_text}",
                      ["lang", "n", "accuracy", "RA", "en-CO"])
    for lang in langs:
        acc = cells.get((lang, "accuracy"))
        n = getattr(acc, "n", None) or getattr(cells.get((lang, "ra")), "n", "")
        table.rows.append([lang, str(n), *(api.format_record(cells.get((lang, m))) for m in wanted)])
    return table
