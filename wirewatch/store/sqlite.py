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

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        super().__init__(url)
        path = _path_of(url)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is exactly one article.
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
            self._conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode survives a killed process (kill -9) without losing commits; only an OS
            # crash or power cut may roll back the last transactions - never corrupt or half-write one.
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA busy_timeout = 30000")
        except sqlite3.Error as e:
            raise StoreError(f"{path}: cannot open SQLite store ({e})") from e
        self._depth = 0
        if migrate:
            self._migrate()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            cur = self._conn.execute(sql, tuple(params))
            rows = cur.fetchall()
        except sqlite3.Error as e:
            raise StoreError(f"{self.url}: {e}") from e
        return rows

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self._conn.executemany(sql, rows)
        except sqlite3.Error as e:
            raise StoreError(f"{self.url}: {e}") from e

    @contextmanager
    def _begin(self) -> Iterator[None]:
        # Nested use (a hook writing inside `transaction()`) joins the outer transaction.
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        # IMMEDIATE takes the write lock up front, so two writers wait instead of deadlocking.
        self._conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._conn.execute("ROLLBACK")
            raise
        self._depth = 0
        self._conn.execute("COMMIT")

    def _fts_match(self) -> str:
        return "a.seq IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)"

    def _fts_param(self, query: str) -> str:
        # Quote every word so FTS5 operators and punctuation in user input are taken literally.
        words = re.findall(r"\w+", query)
        return " ".join(f'"{w}"' for w in words) or '""'

    def _lock_migrations(self) -> None:
        pass  # BEGIN IMMEDIATE already excludes other writers
