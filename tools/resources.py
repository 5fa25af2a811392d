"""Long-lived handles a run needs, opened once: one store connection per thread (SQLite
connections are not shared across threads) and one vector index per data folder."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from tools.index import TemplateIndex
from tools.store import Store

_local = threading.local()


def store_for(home: str | Path) -> Store:
    """This thread's connection to the CRM store under ``home``."""
    path = (Path(home) / "crm.sqlite").resolve()
    stores: dict[Path, Store] = _local.__dict__.setdefault("stores", {})
    if path not in stores:
        if not path.exists():
            raise FileNotFoundError(
                f"{path}: no CRM store; import templates with `crmagent ingest FILE` or build "
                "the sample world with `crmagent demo`"
            )
        stores[path] = Store(path)
    return stores[path]


@cache
def _index(home: Path) -> TemplateIndex:
    return TemplateIndex(home)


def index_for(home: str | Path) -> TemplateIndex:
    """The vector index under ``home`` (shared by all threads)."""
    return _index(Path(home).resolve())
