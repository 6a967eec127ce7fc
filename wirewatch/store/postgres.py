"""The PostgreSQL store (`postgresql://` URL): the same schema and queries, tsvector full-text search."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..errors import StoreError
from .sql import Row, SQLStore

# Any constant: the key of the advisory lock that serialises migrations across processes.
MIGRATION_LOCK = 0x77697265


@contextmanager
def scratch_schema(base_url: str, prefix: str = "scratch_") -> Iterator[str]:
    """A new, empty schema on a PostgreSQL server, as a store URL that uses it; dropped on exit.
    For tests and benchmarks that each need a store of their own on one server."""
    import uuid

    import psycopg

    schema = prefix + uuid.uuid4().hex[:12]
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _pg(sql: str) -> str:
    """`?` placeholders to psycopg's `%s` (a literal `%` must be doubled first)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresStore(SQLStore):
    dialect = "postgresql"

    def _connect(self) -> Any:
        try:
            import psycopg
        except ImportError as e:
            raise StoreError("PostgreSQL needs psycopg: pip install 'wirewatch[postgres]'") from e
        self._driver_error = psycopg.Error
        try:
            # autocommit: each read is its own statement; writes open explicit transactions.
            return psycopg.connect(self.url, autocommit=True)
        except psycopg.Error as e:
            raise StoreError(f"cannot connect to PostgreSQL at {_redact(self.url)} ({e})") from e

    def _safe_url(self) -> str:
        return _redact(self.url)

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._errors():
            cur = self._conn.execute(_pg(sql), tuple(params)) if params else self._conn.execute(sql)
            return cur.fetchall() if cur.description else []

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._errors(), self._conn.cursor() as cur:
            cur.executemany(_pg(sql), rows)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._conn.transaction():
            yield

    def text_match(self, text: str) -> tuple[str, Any]:
        return "a.tsv @@ plainto_tsquery('english', ?)", text

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
