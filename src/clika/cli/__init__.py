"""The `clika` command line: a thin typer layer over clika.api.

Each command is a plain function in its own module; they are registered here (the command modules never import this
package, so there is no import cycle). Modules import heavy libraries (torch, pandas, transformers) inside the command
functions, so `clika --help` stays fast.

`main()` turns every ClikaError into one line on stderr and exit status 1; an unexpected exception also becomes one
line (set CLIKA_DEBUG=1 for the traceback). Ctrl-C exits with 130; everything already written stays.
"""

from __future__ import annotations

import os
import sys

from clika.cli import compare_cmd, conduct_cmd, data_cmd, fictional_cmd, report_cmd, run_cmd, score_cmd
from clika.cli.app import app, data_app, fictional_app
from clika.errors import ClikaError

app.command("run")(run_cmd.run_command)
app.command("score")(score_cmd.score_command)
app.command("compare")(compare_cmd.compare_command)
app.command("findings")(compare_cmd.findings_command)
app.command("report")(report_cmd.report_command)
app.command("conduct")(conduct_cmd.conduct_command)
data_app.command("validate")(data_cmd.validate_command)
data_app.command("show")(data_cmd.show_command)
data_app.command("fetch")(data_cmd.fetch_command)
data_app.command("export")(data_cmd.export_command)
fictional_app.command("generate")(fictional_cmd.generate_command)

__all__ = ["app", "main", "fictional_app"]


def main() -> None:
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
