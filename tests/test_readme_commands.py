"""Every command line of the README and of the docs it links to that needs no model runs as written.

The commands are taken from the fenced code blocks of README.md and then of DOCS, in that order (``$ `` prompts dropped, ``\\``
continuations joined, trailing comments cut) and from its inline code that gives a command with
options (`` `clika findings --predictions ... --conduct ...` ``): every `clika score`, `compare`,
`report`, `findings`, `data validate` and `data show`. They run in the README's order in one temporary
working folder (so `clika report results/upstream.jsonl` finds what `clika score` wrote there),
with ``../shared/clika-data`` pointing at the shared data. A command that needs what only a model
makes, or that names a placeholder another script fills, is skipped with the reason in SKIPPED,
and each of those reasons must still match a README command.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import readme_excerpts  # noqa: E402  (the quoted outputs: the same parser the regenerating script uses)

CLIKA = str(Path(sys.executable).with_name("clika"))
RUNNABLE = readme_excerpts.RUNNABLE
SKIPPED = readme_excerpts.SKIPPED
# The pages after the README whose commands are run too, in this order (a later one may read what an earlier wrote);
# not findings.md: generated.
DOCS = readme_excerpts.PAGES[1:]


def readme_commands() -> list[str]:
    pages = [ROOT / "README.md", *(ROOT / d for d in DOCS if (ROOT / d).is_file())]
    text = "\n".join(p.read_text(encoding="utf-8") for p in pages)
    commands = []
    for block in re.findall(r"^```(?:bash|console|sh)\n(.*?)^```", text, flags=re.M | re.S):
        commands += [c for c in readme_excerpts.commands_in(block) if c not in commands]
    for span in re.findall(r"`(clika [^`]+)`", text):
        line = " ".join(span.split())
        if RUNNABLE.match(line) and " --" in line and line not in commands:
            commands.append(line)
    return commands


COMMANDS = readme_commands()


def test_the_readme_has_the_commands_and_every_skip_reason_is_still_used():
    assert len(COMMANDS) >= 5, COMMANDS
    for piece in SKIPPED:
        assert any(piece in c for c in COMMANDS), f"no README command needs {piece!r} any more: drop the skip"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, shared_data):
    return tmp_path_factory.mktemp("readme"), shared_data, {}


def _run(command: str, workdir) -> subprocess.CompletedProcess:
    folder, shared, done = workdir
    if command not in done:
        args = readme_excerpts.command_args(command, shared)
        done[command] = subprocess.run([CLIKA, *args], cwd=folder, capture_output=True, text=True, timeout=900)
    return done[command]


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(COMMANDS)), ids=[c[:60] for c in COMMANDS])
def test_readme_command_runs_as_written(index: int, workdir):
    command = COMMANDS[index]
    why = next((why for piece, why in SKIPPED.items() if piece in command), None)
    if why:
        pytest.skip(why)
    for earlier in COMMANDS[:index]:  # what this command reads may come from an earlier one
        if not any(piece in earlier for piece in SKIPPED):
            _run(earlier, workdir)
    done = _run(command, workdir)
    assert done.returncode == 0, f"{command}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr


EXCERPTS = readme_excerpts.excerpts()


def test_the_docs_quote_command_outputs():
    assert any(e.page == "README.md" for e in EXCERPTS) and any(e.page != "README.md" for e in EXCERPTS)


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(EXCERPTS)), ids=[f"{e.page}:{e.line}" for e in EXCERPTS])
def test_quoted_output_is_what_the_command_prints(index: int, workdir):
    """Every line a page quotes from a command's output is a line the command prints now (the numbers
    included); `.venv/bin/python scripts/readme_excerpts.py` rewrites the stale ones."""
    excerpt = EXCERPTS[index]
    why = next((why for piece, why in SKIPPED.items() for c in excerpt.commands if piece in c), None)
    if why:
        pytest.skip(why)
    last = max((COMMANDS.index(c) for c in excerpt.commands if c in COMMANDS), default=-1)
    for earlier in COMMANDS[:last]:  # what the commands read may come from an earlier one
        if not any(piece in earlier for piece in SKIPPED):
            _run(earlier, workdir)
    runs = [_run(c, workdir) for c in excerpt.commands]
    assert all(r.returncode == 0 for r in runs), [r.stderr[-2000:] for r in runs]
    printed = readme_excerpts.as_quoted("\n".join(r.stdout + r.stderr for r in runs), workdir[1])
    stale = readme_excerpts.missing(excerpt, printed)
    assert not stale, (f"{excerpt.page}:{excerpt.line} quotes lines the command no longer prints (run "
                       f".venv/bin/python scripts/readme_excerpts.py):\n" + "\n".join(stale))
