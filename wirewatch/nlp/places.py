"""Stage: places (being written)."""

from __future__ import annotations

from .context import Analysis


def resolve(a: Analysis) -> None:
    return None
