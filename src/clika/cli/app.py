"""The typer application and its conventions (no commands here: see clika/cli/__init__.py).

Conventions every command follows:
- ``--output/-o`` names what a command writes (the old ``--out`` still works, unlisted);
- a flag that takes several values takes a comma list (and may be repeated);
- lm-evaluation-harness's underscore spellings work as aliases (``--model_args``, ``--batch_size``, ``--output_path``,
  ``--include_path``, ...);
- booleans are plain flags; ``clika --version`` prints the version.
"""

from __future__ import annotations

import typer
from typer.core import TyperGroup

# Spellings that are not the canonical name, mapped to it (hidden from --help).
ALIASES = {"--out": "--output", "--output-path": "--output"}
# Per-command aliases: score/compare filter models with --models; --model is lm-eval's habit.
COMMAND_ALIASES = {"score": {"--model": "--models"}}


def rewrite_aliases(args: list[str]) -> list[str]:
    """argv with alias spellings replaced by canonical ones ("--model_args x" -> "--model-args x")."""
    command = next((a for a in args if not a.startswith("-")), "")
    extra = COMMAND_ALIASES.get(command, {})
    out = []
    for i, token in enumerate(args):
        if token == "--":
            return out + args[i:]
        if token.startswith("--") and len(token) > 2:
            name, eq, value = token.partition("=")
            name = name.replace("_", "-")
            token = extra.get(name, ALIASES.get(name, name)) + eq + value
        out.append(token)
    return out


class AliasGroup(TyperGroup):
    def parse_args(self, ctx, args):  # noqa: D102 - click's hook
        return super().parse_args(ctx, rewrite_aliases(list(args)))


def _version(value: bool) -> None:
    if value:
        from clika.api import __version__

        typer.echo(f"clika {__version__}")
        raise typer.Exit()


app = typer.Typer(
    name="clika", cls=AliasGroup, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help text is plain: "pip install 'clika[ray]'" must not lose its brackets
    help="Cross-Lingual Knowledge Alignment: PF (RA), CT (en-CO) and CD (XRR) for language models.",
)
data_app = typer.Typer(cls=AliasGroup, help="Fetch, inspect and validate item data.", no_args_is_help=True,
                       rich_markup_mode=None)
fictional_app = typer.Typer(cls=AliasGroup, help="Generate and inspect fictional-fact sets (the CD level).",
                            no_args_is_help=True, rich_markup_mode=None)
app.add_typer(data_app, name="data")
app.add_typer(fictional_app, name="fictional")


@app.callback()
def _root(version: bool = typer.Option(False, "--version", is_eager=True, callback=_version,
                                       help="Print the version and exit.")) -> None:
    """Cross-Lingual Knowledge Alignment: PF (RA), CT (en-CO) and CD (XRR) for language models."""
