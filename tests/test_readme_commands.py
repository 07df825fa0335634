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
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLIKA = str(Path(sys.executable).with_name("clika"))
RUNNABLE = re.compile(r"^clika (score|compare|report|findings|data validate|data show)\b")
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
# The pages after the README whose commands are run too, in this order (a later one may read what an earlier wrote).
DOCS = ("docs/guide.md", "docs/upstream.md", "docs/conductivity.md", "docs/performance.md", "docs/lm-eval.md",
        "docs/metrics.md", "docs/data-format.md", "docs/tasks.md", "docs/development.md")  # not findings.md: generated


def readme_commands() -> list[str]:
    pages = [ROOT / "README.md", *(ROOT / d for d in DOCS if (ROOT / d).is_file())]
    text = "\n".join(p.read_text(encoding="utf-8") for p in pages)
    commands = []
    for block in re.findall(r"^```(?:bash|console|sh)\n(.*?)^```", text, flags=re.M | re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = re.sub(r"^\$ ", "", line.strip())
            line = re.split(r"\s+#\s", line, maxsplit=1)[0].strip()
            if RUNNABLE.match(line) and line not in commands:
                commands.append(line)
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
        args = [a.replace("../shared/clika-data", str(shared)) for a in shlex.split(command)]
        done[command] = subprocess.run([CLIKA, *args[1:]], cwd=folder, capture_output=True, text=True, timeout=900)
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
