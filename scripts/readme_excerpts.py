"""The command outputs quoted in the README and the docs, checked against what the commands print now,
and regenerated from it.

    .venv/bin/python scripts/readme_excerpts.py [--check] [--predictions ../shared/clika-data]

An excerpt is a ```text block that follows a ```bash block (with at most a paragraph between them),
or the lines after a `$ clika ...` command in a ```console block: each of its lines, except "...",
must be a line that one of those runnable `clika` commands prints (whitespace between columns and the
seconds a step took do not count). Without --check, the script runs those commands in
a temporary folder and rewrites every quoted line that is no longer printed with the printed line that
starts with the same first words (the row's key: model and task, or task, language and metric), so a
README never quotes numbers the code no longer gives; a line with no such row is reported, not
guessed. tests/test_readme_commands.py checks every excerpt with the same functions.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("README.md", "docs/guide.md", "docs/upstream.md", "docs/conductivity.md", "docs/performance.md",
         "docs/lm-eval.md", "docs/metrics.md", "docs/data-format.md", "docs/tasks.md", "docs/development.md")
RUNNABLE = re.compile(r"^clika (score|compare|report|findings|data validate|data show)\b")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", flags=re.M | re.S)
# A piece of a command -> why it cannot run here as written.
SKIPPED = {
    "clika report runs/my-model/": "needs the output of `clika run` on a model (runs/my-model/)",
    "runs/cd-a/": "needs `clika conduct` outputs (runs/cd-a, runs/cd-b: the README's CD measurement)",
    " cd/ -o": "needs the `clika conduct ... -o cd/` output of the README's CD examples (a model fine-tuned "
               "on fictional facts)",
    "--predictions OUTPUT": "OUTPUT is the folder of a `clika run --log-samples` on a model",
    "--predictions TREE": "TREE is the stand-in upstream tree that benchmarks/upstream_tree.py builds and runs "
                          "this command on",
    "--predictions out/": "out/ is what the `lm_eval ... --output_path out/` command before it writes (the round "
                          "trip is tests/data/test_data_lmeval_tasks.py)",
}
KEY_WORDS = 3  # a quoted row is matched to a printed one by its first words (model task n; task lang metric)


@dataclass
class Excerpt:
    page: str
    line: int  # of the ```text fence, 1-based
    commands: list[str]  # the runnable commands of the bash block before it
    lines: list[str]  # the quoted lines, "..." left out


def commands_in(block: str) -> list[str]:
    """The runnable clika commands of a code block (``$ `` prompts dropped, ``\\`` continuations joined,
    trailing comments cut)."""
    joined = re.sub(r"\\\n\s*", " ", block)
    lines = (re.split(r"\s+#\s", re.sub(r"^\$ ", "", ln.strip()), maxsplit=1)[0].strip() for ln in joined.splitlines())
    return [ln for ln in lines if RUNNABLE.match(ln)]


def _console(page: str, first_line: int, body: str) -> list[Excerpt]:
    """The `$ clika ...` commands of a console block with the lines each prints."""
    out: list[Excerpt] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            i += 1
            continue
        start, command = i, lines[i]
        while command.endswith("\\") and i + 1 < len(lines):
            i += 1
            command = command[:-1] + " " + lines[i].strip()
        i += 1
        quoted = []
        while i < len(lines) and not lines[i].startswith("$ "):
            if lines[i].strip() and lines[i].strip() != "...":
                quoted.append(lines[i])
            i += 1
        commands = commands_in(command)
        if commands and quoted:
            out.append(Excerpt(page, first_line + start + 1, commands, quoted))
    return out


def excerpts(pages=PAGES, root: Path = ROOT) -> list[Excerpt]:
    out = []
    for page in pages:
        path = root / page
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        previous = None  # (end offset, commands) of the last bash block
        for m in FENCE.finditer(text):
            kind, body = m.group(1), m.group(2)
            if kind == "console":
                out += _console(page, text[:m.start()].count("\n") + 1, body)
            if kind in ("bash", "console", "sh"):
                previous = (m.end(), commands_in(body))
            elif kind == "text" and previous and previous[1] and text[previous[0]:m.start()].count("\n\n") <= 1:
                quoted = [ln for ln in body.splitlines() if ln.strip() and ln.strip() != "..."]
                out.append(Excerpt(page, text[:m.start()].count("\n") + 1, previous[1], quoted))
    return out


def normalise(line: str) -> str:
    """Columns' whitespace and the seconds a step took ("read 0.3s") do not count."""
    return re.sub(r"\b\d+(\.\d+)?s\b", "#s", " ".join(line.split()))


def missing(excerpt: Excerpt, printed: str) -> list[str]:
    """The quoted lines that the commands' output (stdout and stderr together) does not contain."""
    have = {normalise(ln) for ln in printed.splitlines()}
    return [ln for ln in excerpt.lines if normalise(ln) not in have]


def command_args(command: str, shared: Path) -> list[str]:
    """The arguments of a README command (after `clika`) as run from another folder: the shared data at `shared`,
    and what the repository keeps (the conductivity study's results) at its path here."""
    args = [a.replace("../shared/clika-data", str(shared)) for a in shlex.split(command)[1:]]
    return [str(ROOT / a) if a.startswith("benchmarks/results/") else a for a in args]


def run(command: str, folder: Path, shared: Path) -> str:
    """What one README command prints (stdout, then stderr), run in folder with the shared data at `shared`."""
    clika = str(Path(sys.executable).with_name("clika"))
    done = subprocess.run([clika, *command_args(command, shared)], cwd=folder, capture_output=True, text=True,
                          timeout=900)
    if done.returncode:
        raise SystemExit(f"{command}: exit {done.returncode}: {done.stderr.strip()[-500:]}")
    return as_quoted(done.stdout + done.stderr, shared)


def as_quoted(printed: str, shared: Path) -> str:
    """The output as the page quotes it: the shared data's path spelt as the command gives it."""
    return printed.replace(str(shared), "../shared/clika-data")


def _replacement(line: str, printed: str) -> str | None:
    key = normalise(line).split()[:KEY_WORDS]
    rows = [ln for ln in printed.splitlines() if normalise(ln).split()[:KEY_WORDS] == key]
    return rows[0].rstrip() if len(rows) == 1 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say which quoted lines are stale (exit 1 if any)")
    parser.add_argument("--predictions", type=Path, default=ROOT.parent / "shared" / "clika-data")
    args = parser.parse_args()
    stale = 0
    with tempfile.TemporaryDirectory() as tmp:
        outputs: dict[str, str] = {}
        for ex in excerpts():
            if any(piece in c for piece in SKIPPED for c in ex.commands):
                continue  # needs what only a model or another script makes (SKIPPED says what)
            for command in ex.commands:
                if command not in outputs:
                    outputs[command] = run(command, Path(tmp), args.predictions.resolve())
            printed = "\n".join(outputs[c] for c in ex.commands)
            for line in missing(ex, printed):
                stale += 1
                new = _replacement(line, printed)
                where = f"{ex.page}:{ex.line}"
                if args.check or new is None:
                    print(f"{where}: stale: {line.strip()}" + ("" if args.check else " (no row with its key printed)"))
                    continue
                path = ROOT / ex.page
                path.write_text(path.read_text(encoding="utf-8").replace(line, new, 1), encoding="utf-8")
                print(f"{where}: {line.strip()}\n{' ' * len(where)}  -> {new.strip()}")
    print(f"{stale} stale line(s)" + (" (rewritten where a row with the same key is printed)" if stale and not
                                      args.check else ""))
    sys.exit(1 if stale and args.check else 0)


if __name__ == "__main__":
    main()
