"""Shared fixtures: every test gets its own ``$CRMAGENT_HOME``."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "crmagent" / "data" / "sample_templates.csv"


@pytest.fixture(autouse=True)
def crmagent_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data folder, so no test sees another's store."""
    home = tmp_path / "home"
    monkeypatch.setenv("CRMAGENT_HOME", str(home))
    monkeypatch.setenv("CRMAGENT_MODEL", "offline")
    return home


@pytest.fixture
def sample_csv() -> Path:
    """The bundled sample file of merchant templates."""
    return SAMPLE
