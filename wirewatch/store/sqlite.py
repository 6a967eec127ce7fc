"""The embedded default store: one SQLite file in WAL mode, FTS5 for full-text search."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import StoreError
from .sql import Row, SQLStore


def _path_of(url: str) -> str:
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///"):] if url.startswith("sqlite:////") else url[len("sqlite://"):]
    if url.startswith("sqlite://"):
        return url[len("sqlite://"):]
    return url


class SQLiteStore(SQLStore):
    dialect = "sqlite"
    _driver_error = sqlite3.Error

    def _connect(self) -> sqlite3.Connection:
        path = _path_of(self.url)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is exactly one article.
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
            conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode survives a killed process (kill -9) without losing commits; only an OS
            # crash or power cut may roll back the last transactions - never corrupt or half-write one.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 30000")
        except sqlite3.Error as e:
            raise StoreError(f"{path}: cannot open SQLite store ({e})") from e
        return conn

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._errors():
            return self._conn.execute(sql, tuple(params)).fetchall()

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._errors():
            self._conn.executemany(sql, rows)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front, so two writers wait instead of deadlocking.
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def text_match(self, text: str) -> tuple[str, Any]:
        # Quote every word so FTS5 operators and punctuation in user input are taken literally.
        words = re.findall(r"\w+", text)
        return ("a.seq IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)",
                " ".join(f'"{w}"' for w in words) or '""')

    def _lock_migrations(self) -> None:
        pass  # BEGIN IMMEDIATE already excludes other writers
