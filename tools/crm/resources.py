"""Long-lived handles a run needs, opened once: one store connection per thread (SQLite
connections are not shared across threads) and one vector index per data folder."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from tools.crm.index import TemplateIndex
from tools.crm.store import Store

_local = threading.local()
_OPENING = threading.Lock()


def store_for(home: str | Path) -> Store:
    """This thread's connection to the CRM store under ``home`` (an absolute ``home`` is
    looked up as given: every node of every request asks, and resolving the path again
    each time costs a system call per folder)."""
    by_home: dict[str | Path, Store] = _local.__dict__.setdefault("by_home", {})
    if home in by_home:
        return by_home[home]
    path = (Path(home) / "crm.sqlite").resolve()
    stores: dict[Path, Store] = _local.__dict__.setdefault("stores", {})
    if path not in stores:
        # A home with nothing imported is a merchant's first day: an empty store, so that
        # requests fall back to the rules mode with the reason instead of failing.
        path.parent.mkdir(parents=True, exist_ok=True)
        with _OPENING:  # two threads creating a new store's schema at once would lock it
            stores[path] = Store(path)
    if Path(home).is_absolute():
        by_home[home] = stores[path]
    return stores[path]


@cache
def _index(home: Path) -> TemplateIndex:
    return TemplateIndex(home)


def index_for(home: str | Path) -> TemplateIndex:
    """The vector index under ``home`` (shared by all threads)."""
    return _index(Path(home).resolve())
