"""The JSON Schema of the `wirewatch/article-1` record, and a validator for it."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any


@lru_cache(maxsize=1)
def article_schema() -> dict[str, Any]:
    return json.loads((files(__package__) / "article-1.json").read_text("utf-8"))


def validate(record: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError if the record does not follow RECORD.md."""
    import jsonschema

    jsonschema.validate(record, article_schema())
