"""Unit tests run with sockets disabled: nothing here may reach a network."""

from __future__ import annotations

import pytest
from pytest_socket import disable_socket, enable_socket


@pytest.fixture(autouse=True)
def _no_sockets() -> object:
    disable_socket()
    yield
    enable_socket()
