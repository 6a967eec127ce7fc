"""`wirewatch serve`: the JSON API and the dashboard on one local port."""

from __future__ import annotations

import typer


def serve_cmd(
    db: str | None = typer.Option(None, "--db", help="Store URL (SQLite path or postgresql://); default: the db setting."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (127.0.0.1: this machine only)."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    token: str | None = typer.Option(None, "--token", envvar="WIREWATCH_API_TOKEN",
                                     help="API token for write endpoints (default: the api_token setting)."),
    closed: bool = typer.Option(False, "--closed", help="Require the token for reads too (api_open_reads = false)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Server processes; >1 spreads concurrent reads over "
                                "cores (story clustering of API posts then stays off: run it from ingest)."),
) -> None:
    """Serve the REST API (/api, schema at /openapi.json) and the web dashboard (/)."""
    import uvicorn

    from ..api.app import create_app
    from ..settings import load_settings

    settings = load_settings(db=db, api_token=token, api_open_reads=False if closed else None)
    typer.echo(f"wirewatch: serving {settings.db} on http://{host}:{port}/ "
               f"(writes {'enabled' if settings.api_token else 'disabled: no api_token'}, "
               f"reads {'open' if settings.api_open_reads else 'need the token'})", err=True)
    if workers == 1:
        uvicorn.run(create_app(settings.db, settings=settings), host=host, port=port, log_level="warning")
        return
    import os

    # Worker processes rebuild the app from the environment: hand them the resolved settings there.
    os.environ["WIREWATCH_DB"] = settings.db
    os.environ["WIREWATCH_API_OPEN_READS"] = "true" if settings.api_open_reads else "false"
    if settings.api_token:
        os.environ["WIREWATCH_API_TOKEN"] = settings.api_token
    os.environ["WIREWATCH_SERVE_STORIES"] = "0"
    uvicorn.run("wirewatch.api.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
