"""Where a store lives and the connection every part of it works through (``Database``): a
SQLAlchemy URL (a SQLite file by default, PostgreSQL by ``postgresql+psycopg://``), the
engine with SQLite's connect-time settings, the schema brought to Alembic's head on open,
the one transaction, and the dialect's upsert.

A ``Database`` holds one connection in autocommit: a read sees the latest commit, and only
``transaction()`` opens a transaction, so that nothing is held open between requests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Self

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import (
    Column,
    Dialect,
    Engine,
    Executable,
    Insert,
    Table,
    and_,
    bindparam,
    create_engine,
    event,
    func,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

SETTING = "CRMAGENT_STORE_URL"
"""The setting that says where the store lives (named in every error about reaching it)."""

_FORMS = "sqlite:///PATH/crm.sqlite or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE"
_MIGRATIONS = Path(__file__).with_name("migrations")
_SQLITE_PRAGMAS = ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=5000", "synchronous=NORMAL")
_CHUNK = 900
"""Values a query binds at most (under SQLite's oldest limit of 999)."""
_WRITER_LOCK = 4_242_042
"""The PostgreSQL advisory lock a store's writers queue on (SQLite's is the file's)."""
_BEGIN = {
    "sqlite": ("BEGIN IMMEDIATE",),
    "postgresql": ("BEGIN", f"SELECT pg_advisory_xact_lock({_WRITER_LOCK})"),
}
"""What opens a write transaction, per engine: the writer's lock is taken at once, so that two
imports queue instead of failing (or deadlocking) half way."""


class StoreUnavailable(RuntimeError):
    """The store's URL is wrong or its server cannot be reached; the message says how to fix
    it."""


def sqlite_url(path: Path | str) -> str:
    """The URL of a SQLite store file."""
    return URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)


def store_exists(url: str) -> bool:
    """Whether there is a store to open at ``url`` without creating one: a SQLite file that
    exists, or any server database."""
    parsed = _parse(url)
    return parsed.get_backend_name() != "sqlite" or Path(parsed.database or "").is_file()


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise StoreUnavailable(f"{SETTING} {url!r} is not a database URL; write {_FORMS}") from exc


def _sqlite_pragmas(dbapi_connection: Any, _: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in _SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


@cache
def _engine(url: str) -> Engine:
    """One engine per URL and process (its dialect and compiled statements are shared). A
    store holds one connection while it is open and closes it with itself: a SQLite file
    replaced on disk is never read through an old handle, and a server sees as many
    connections as there are open stores (one per serving thread), never a queue for one."""
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend not in _BEGIN:
        raise StoreUnavailable(
            f"{SETTING} {parsed.render_as_string()}: CRMAgent's store runs on SQLite or "
            f"PostgreSQL; write {_FORMS}"
        )
    try:
        if backend == "sqlite":
            engine = create_engine(
                parsed,
                poolclass=NullPool,
                isolation_level="AUTOCOMMIT",
                connect_args={"check_same_thread": False},
            )
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        # Positional parameters, as SQLite's: ``_put_rows`` hands over rows as tuples.
        return create_engine(
            parsed, poolclass=NullPool, isolation_level="AUTOCOMMIT", paramstyle="format"
        )
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise StoreUnavailable(
            f"{SETTING} {parsed.render_as_string()}: no driver for {parsed.drivername!r} "
            f"({exc}); write postgresql+psycopg://... and install the driver with "
            "pip install 'crmagent[postgres]'"
        ) from exc


def _alembic(connection: Any) -> Config:
    """Alembic's configuration without an ini file: the migrations shipped in the package,
    run on the store's own connection."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


@cache
def _head() -> str | None:
    return ScriptDirectory.from_config(_alembic(None)).get_current_head()


@lru_cache(maxsize=64)
def _in_query(dialect: Dialect, column: Column[Any], size: int) -> str:
    marks: list[Any] = [bindparam(f"v{i}") for i in range(size)]
    return str(select(column).where(column.in_(marks)).compile(dialect=dialect))


class Database:
    """An open connection to a store's database; brings its schema to the current revision
    on open. Safe to share between threads (one statement at a time)."""

    def __init__(self, location: str | Path) -> None:
        url = location if isinstance(location, str) else sqlite_url(location)
        parsed = _parse(url)
        self.url = parsed.render_as_string()
        """The database's URL, its password hidden: what a store is known and shown by."""
        self.location = url
        """The URL as given, password and all: what another connection to it opens."""
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = _engine(url)
        self.dialect = engine.dialect.name
        try:
            self._conn = engine.connect()
        except OperationalError as exc:
            raise StoreUnavailable(
                f"{SETTING} {self.url}: cannot connect ({str(exc.orig).strip()}); start the "
                "database server or correct the URL's host, port, user, password and "
                f"database ({_FORMS})"
            ) from exc
        self._lock = threading.RLock()
        self._ensure_schema()

    def _ensure_schema(self) -> None:
        if MigrationContext.configure(self._conn).get_current_revision() == _head():
            return
        try:
            with self.transaction():
                command.upgrade(_alembic(self._conn), "head")
        except CommandError as exc:
            raise StoreUnavailable(
                f"{self.url}: {exc}; the store was written by a newer CRMAgent: upgrade "
                f"CRMAgent, or point {SETTING} at another database"
            ) from exc

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all. One writer at a time: the writer's
        lock is taken when it begins (SQLite's ``BEGIN IMMEDIATE``; a PostgreSQL advisory
        lock), so a second import waits for the first; readers go on meanwhile."""
        with self._lock, self._write_cache():
            for statement in _BEGIN[self.dialect]:
                self._conn.exec_driver_sql(statement)
            try:
                yield
            except BaseException:
                self._conn.exec_driver_sql("ROLLBACK")
                raise
            self._conn.exec_driver_sql("COMMIT")

    @contextmanager
    def _write_cache(self) -> Iterator[None]:
        """While a transaction writes to SQLite, the page cache is raised to 128 MB (a large
        import keeps its index pages in memory instead of spilling and re-reading them: it
        halves the time of a 100k-row import); it drops back after, so that the connections
        that only read stay small. A server keeps its own cache."""
        if self.dialect != "sqlite":
            yield
            return
        previous = int(self._conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
        self._conn.exec_driver_sql("PRAGMA cache_size=-131072")
        try:
            yield
        finally:
            self._conn.exec_driver_sql(f"PRAGMA cache_size={previous}")

    def insert_into(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """An insert into ``table`` in the engine's dialect (which has ``ON CONFLICT``)."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def upsert(
        self,
        table: Table,
        update: Sequence[str] = (),
        keep: Sequence[str] = (),
        *,
        changed_only: bool = False,
    ) -> Insert:
        """An insert into ``table`` that, where a row with the same primary key is stored,
        sets the ``update`` columns from the new row and the ``keep`` columns where the new
        row has a value; with neither, it leaves the stored row as it is. ``changed_only``:
        a stored row whose values would all stay the same is not written (nor counted)."""
        insert = self.insert_into(table)
        keys = [column.name for column in table.primary_key]
        if not update and not keep:
            return insert.on_conflict_do_nothing(index_elements=keys)
        changes: dict[str, Any] = {name: insert.excluded[name] for name in update}
        changes.update({n: func.coalesce(insert.excluded[n], table.c[n]) for n in keep})
        differs = [table.c[n].is_distinct_from(insert.excluded[n]) for n in update] + [
            and_(insert.excluded[n].is_not(None), table.c[n].is_distinct_from(insert.excluded[n]))
            for n in keep
        ]
        return insert.on_conflict_do_update(
            index_elements=keys, set_=changes, where=or_(*differs) if changed_only else None
        )

    # -- statements (one at a time: the connection may be shared by threads) ----------------

    def _run(
        self, statement: Executable, params: Mapping[str, Any] | list[Any] | None = None
    ) -> int:
        """Execute a write, once or (a list of rows) for each row; the rows it changed."""
        if params == []:
            return 0  # no rows: SQLAlchemy would run the statement once, without values
        with self._lock:
            return int(self._conn.execute(statement, params).rowcount)

    def _put_rows(self, statement: Insert, rows: Sequence[tuple[Any, ...]]) -> int:
        """Insert many rows, each a tuple in its table's column order, in one call of the
        driver's ``executemany`` on the compiled statement (SQLAlchemy's handling of each
        row's parameters would double the time of a large import); the rows written."""
        if not rows:
            return 0
        compiled = statement.compile(dialect=self._conn.dialect)
        with self._lock:
            return int(self._conn.exec_driver_sql(compiled.string, rows).rowcount)

    def _present(self, column: Column[Any], values: Sequence[Any]) -> set[Any]:
        """Which of many ``values`` the column holds, asked in chunks of one compiled query
        through the driver: SQLAlchemy's expansion of each chunk's long ``IN`` list would
        add a tenth to a large import."""
        found: set[Any] = set()
        for start in range(0, len(values), _CHUNK):
            chunk = tuple(values[start : start + _CHUNK])
            query = _in_query(self._conn.dialect, column, len(chunk))
            with self._lock:
                found.update(row[0] for row in self._conn.exec_driver_sql(query, chunk))
        return found

    def _rows(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Sequence[Sequence[Any]]:
        """All rows a query returns."""
        with self._lock:
            return list(self._conn.execute(statement, params))

    def _first(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Sequence[Any] | None:
        """The first row a query returns, or None."""
        with self._lock:
            return self._conn.execute(statement, params).first()
