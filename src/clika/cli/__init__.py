"""The `clika` command line: a thin typer layer over clika.api.

Each command lives in its own module and registers itself on `app` (or on a
sub-app such as `data_app`). Modules import heavy libraries (torch, pandas,
transformers) inside the command functions, so `clika --help` stays fast.

`main()` turns every ClikaError into one line on stderr and exit status 1;
an unexpected exception also becomes one line (set CLIKA_DEBUG=1 for the
traceback). Ctrl-C exits with 130; everything already written stays.
"""

from __future__ import annotations

import os
import sys

import typer

app = typer.Typer(
    name="clika",
    help="Cross-Lingual Knowledge Alignment: PF (RA), CT (en-CO) and CD (XRR) for language models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Inspect and validate item data.", no_args_is_help=True)
app.add_typer(data_app, name="data")

# Registration by import (each module adds its commands to app / data_app).
from clika.cli import (  # noqa: E402,F401
    compare_cmd,
    conduct_cmd,
    data_cmd,
    report_cmd,
    run_cmd,
    score_cmd,
)


def main() -> None:
    from clika.errors import ClikaError

    try:
        app()
    except ClikaError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted: finished results are kept; rerun the same command to resume", file=sys.stderr)
        sys.exit(130)
    except Exception as err:  # never a traceback for the user, unless asked
        if os.environ.get("CLIKA_DEBUG"):
            raise
        msg = str(err).replace("\n", " ") or type(err).__name__
        print(f"error: {type(err).__name__}: {msg} (set CLIKA_DEBUG=1 for a traceback)", file=sys.stderr)
        sys.exit(1)
