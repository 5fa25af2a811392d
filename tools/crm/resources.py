"""Where a home's data lives and the long-lived handles a run needs, opened once: the
store's URL (``store_url``: ``$CRMAGENT_STORE_URL``, else the SQLite file under the home),
one store connection per thread (a connection is not shared across threads) and one vector
index per data folder."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from tools.config import settings
from tools.crm.index import TemplateIndex
from tools.crm.store import Store, sqlite_url

_local = threading.local()
_OPENING = threading.Lock()


def store_url(home: str | Path | None = None) -> str:
    """The CRM store's URL: ``$CRMAGENT_STORE_URL`` when set, else the SQLite file
    ``crm.sqlite`` under ``home`` (default ``$CRMAGENT_HOME``)."""
    config = settings(None if home is None else Path(home))
    return config.store_url or sqlite_url(config.home / "crm.sqlite")


def store_for(home: str | Path) -> Store:
    """This thread's connection to the CRM store of ``home`` (an absolute ``home`` is
    looked up as given: every node of every request asks, and reading the settings again
    each time costs more than the request's own reads)."""
    by_home: dict[str | Path, Store] = _local.__dict__.setdefault("by_home", {})
    if home in by_home:
        return by_home[home]
    url = store_url(Path(home).resolve())
    stores: dict[str, Store] = _local.__dict__.setdefault("stores", {})
    if url not in stores:
        # A home with nothing imported is a merchant's first day: an empty store, so that
        # requests fall back to the rules mode with the reason instead of failing.
        with _OPENING:  # two threads creating a new store's schema at once would lock it
            stores[url] = Store(url)
    if Path(home).is_absolute():
        by_home[home] = stores[url]
    return stores[url]


@cache
def _index(home: Path) -> TemplateIndex:
    return TemplateIndex(home)


def index_for(home: str | Path) -> TemplateIndex:
    """The vector index under ``home`` (shared by all threads)."""
    return _index(Path(home).resolve())
