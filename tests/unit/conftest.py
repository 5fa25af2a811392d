"""Unit tests run with sockets disabled: nothing here may reach a network."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_socket import disable_socket, enable_socket

from tools.crm.store import sqlite_url


@pytest.fixture(autouse=True)
def _no_sockets() -> object:
    disable_socket()
    yield
    enable_socket()


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A new store's URL: a SQLite file here; tests/integration/test_store_postgres.py runs
    the same tests with a PostgreSQL database."""
    return sqlite_url(tmp_path / "crm.sqlite")
