"""The root `wirewatch` command. Each subcommand lives in its own module and registers here."""

from __future__ import annotations

import importlib
import logging
import sys

import typer

from ..errors import WirewatchError

app = typer.Typer(
    name="wirewatch",
    help="Turn news articles into structured, evidence-linked event data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# One module per command (or command group); each defines `register(app)`.
COMMANDS = [
    "extract",
    "demo",
    "ingest",
    "feeds",
    "search",
    "stats",
    "serve",
    "watch",
    "export",
    "stories",
    "actor",
    "batch",
    "load",
]


def _register() -> None:
    for name in COMMANDS:
        importlib.import_module(f"{__package__}.{name}").register(app)


def main() -> None:
    """Entry point: run the app, turning wirewatch errors into one-line messages."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _register()
    try:
        rc = app(standalone_mode=False)  # returns the exit code of typer.Exit instead of raising it
    except WirewatchError as e:
        typer.echo(f"error: {e}", err=True)
        sys.exit(1)
    except (typer.Exit, SystemExit) as e:
        code = getattr(e, "exit_code", getattr(e, "code", 0))
        sys.exit(code or 0)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except Exception as e:  # click usage errors and the like
        import click

        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(e.exit_code)
        raise
    sys.exit(rc if isinstance(rc, int) else 0)
