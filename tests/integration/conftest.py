"""Integration tests may use real servers, on loopback only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_socket import socket_allow_hosts

from tests.fakes import FakeOpenAI
from tests.integration.postgres import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]


@pytest.fixture(autouse=True)
def _loopback_only() -> None:
    socket_allow_hosts(["127.0.0.1", "localhost", "::1"])


@pytest.fixture
def openai_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    """A fake OpenAI-compatible server on loopback, set as the OpenAI client's endpoint."""
    with FakeOpenAI() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        yield fake
