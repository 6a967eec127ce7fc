"""The event store: one interface (`base.Store`), SQLite and PostgreSQL back ends, migrations."""

from __future__ import annotations

from .base import (
    ArticleHit,
    Duplicate,
    ErrorEntry,
    EventHit,
    Feed,
    Filters,
    OnStored,
    Page,
    Stats,
    Store,
    StoredMeta,
    open_store,
)

__all__ = [
    "ArticleHit", "Duplicate", "ErrorEntry", "EventHit", "Feed", "Filters", "OnStored", "Page", "Stats",
    "Store", "StoredMeta", "open_store",
]
