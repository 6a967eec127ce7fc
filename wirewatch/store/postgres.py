"""The PostgreSQL store (`postgresql://` URL): the same schema and queries, tsvector full-text search."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..errors import StoreError
from .sql import Row, SQLStore

# Any constant: the key of the advisory lock that serialises migrations across processes.
MIGRATION_LOCK = 0x77697265


def _pg(sql: str) -> str:
    """`?` placeholders to psycopg's `%s` (a literal `%` must be doubled first)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresStore(SQLStore):
    dialect = "postgresql"

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        super().__init__(url)
        try:
            import psycopg
        except ImportError as e:
            raise StoreError("PostgreSQL needs psycopg: pip install 'wirewatch[postgres]'") from e
        self._psycopg = psycopg
        try:
            # autocommit: each read is its own statement; writes open explicit transactions.
            self._conn = psycopg.connect(url, autocommit=True)
        except psycopg.Error as e:
            raise StoreError(f"cannot connect to PostgreSQL at {_redact(url)} ({e})") from e
        self._depth = 0
        if migrate:
            self._migrate()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            cur = self._conn.execute(_pg(sql), tuple(params)) if params else self._conn.execute(sql)
            return cur.fetchall() if cur.description else []
        except self._psycopg.Error as e:
            raise StoreError(f"{_redact(self.url)}: {e}") from e

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            with self._conn.cursor() as cur:
                cur.executemany(_pg(sql), rows)
        except self._psycopg.Error as e:
            raise StoreError(f"{_redact(self.url)}: {e}") from e

    @contextmanager
    def _begin(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            with self._conn.transaction():
                yield
        finally:
            self._depth = 0

    def _fts_match(self) -> str:
        return "a.tsv @@ plainto_tsquery('english', ?)"

    def _fts_param(self, query: str) -> str:
        return query

    def _lock_migrations(self) -> None:
        self._run("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))


def _redact(url: str) -> str:
    """The URL without its password, for error messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
