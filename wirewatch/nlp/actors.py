"""Stage: actors (being written)."""

from __future__ import annotations

from .context import Analysis


def code(a: Analysis) -> None:
    return None
