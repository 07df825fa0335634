"""What the commands share: comma lists, consoles, progress bars, the coverage summary."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from clika.cli.tables import stdout

__all__ = ["split_list", "stderr", "stdout", "print_warnings", "print_coverage", "RunProgress"]


def split_list(values: str | Sequence[str] | None) -> list[str] | None:
    """"a,b" or ["a,b", "c"] -> ["a", "b", "c"]; None or empty -> None (= all)."""
    items = [values] if isinstance(values, str) else values or []
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
MARGIN_HELP = ("The CD verdicts' margin above chance: 'no transfer detected' needs acc_l_type1's exact 95% upper "
               "bound below chance + margin.")


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
            self.bar.add_task("scoring", total=event.total, rate="- items/s")
        task = self.bar.tasks[0]
        self.bar.update(task.id, completed=event.done, description=f"{event.task}/{event.lang}",
                        rate=f"{task.speed:.1f} items/s" if task.speed else "- items/s")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
