"""The store's own facts on top of its connection (``Connection``): what is recorded in
``meta`` (the data version, the origin), the values cached per data version, and the row
counts of the CRM's tables."""

from __future__ import annotations

from sqlalchemy import func, select

from tools.crm.store.database import Database
from tools.crm.store.tables import (
    campaigns,
    llm_cache,
    merchants,
    meta,
    products,
    segments,
    templates,
    vouchers,
)

_COUNTED = {t.name: t for t in (merchants, segments, products, vouchers, campaigns, templates)}


class Connection(Database):
    """The connection to a store, with its facts and its cached values."""

    def cached(self, key: str) -> str | None:
        """A value computed once per data version (a model's reading of the patterns)."""
        row = self._first(select(llm_cache.c.value).where(llm_cache.c.key == key))
        return None if row is None else str(row[0])

    def cache(self, key: str, value: str) -> None:
        """Keep a computed value (outside any import transaction)."""
        self._run(self.upsert(llm_cache, update=["value"]), {"key": key, "value": value})

    # -- writes (call inside ``transaction()``) ---------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        """Record a fact about the store (its origin, for instance)."""
        self._run(self.upsert(meta, update=["value"]), {"key": key, "value": value})

    # -- reads ------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A fact recorded with ``set_meta``, or None."""
        row = self._first(select(meta.c.value).where(meta.c.key == key))
        return None if row is None else str(row[0])

    def count(self, table: str) -> int:
        """Rows in one of the store's tables."""
        if table not in _COUNTED:
            raise ValueError(f"unknown table {table!r}")
        row = self._first(select(func.count()).select_from(_COUNTED[table]))
        return 0 if row is None else int(row[0])
