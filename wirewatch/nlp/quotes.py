"""Stage: quotes (being written)."""

from __future__ import annotations

from .context import Analysis


def extract(a: Analysis) -> None:
    return None
