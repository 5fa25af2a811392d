"""The store's file: its tables, the schema version and the migrations that bring an older
file up to it, and the connection every part of the store works through (``Connection``:
the pragmas, the one transaction, the store's facts in ``meta`` and the values cached per
data version)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Self

SCHEMA_VERSION = 3
_MIGRATIONS = {
    1: "ALTER TABLE merchants ADD COLUMN merge_fields TEXT;",
    2: "ALTER TABLE templates ADD COLUMN unsubscribes INTEGER "
    "CHECK (unsubscribes IS NULL OR unsubscribes >= 0);",
}
"""What brings a store of each older version up to the next (additive only)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS merchants (
    merchant_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    brand_voice TEXT NOT NULL DEFAULT 'friendly',
    locale TEXT NOT NULL DEFAULT 'en',
    max_discount REAL CHECK (max_discount IS NULL OR max_discount BETWEEN 0 AND 100),
    forbidden_words TEXT NOT NULL DEFAULT '[]',
    merge_fields TEXT
);
CREATE TABLE IF NOT EXISTS segments (
    merchant_id TEXT NOT NULL REFERENCES merchants(merchant_id),
    name TEXT NOT NULL,
    canonical TEXT,
    customers INTEGER CHECK (customers IS NULL OR customers >= 0),
    PRIMARY KEY (merchant_id, name)
);
CREATE TABLE IF NOT EXISTS products (
    product_id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(merchant_id),
    name TEXT NOT NULL,
    product_category TEXT NOT NULL,
    price REAL NOT NULL CHECK (price > 0)
);
CREATE TABLE IF NOT EXISTS vouchers (
    voucher_id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(merchant_id),
    type TEXT NOT NULL,
    value REAL NOT NULL,
    min_spend REAL,
    expires TEXT,
    code TEXT
);
CREATE TABLE IF NOT EXISTS campaigns (
    campaign_id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(merchant_id),
    segment TEXT NOT NULL,
    voucher_id TEXT NOT NULL REFERENCES vouchers(voucher_id),
    product_category TEXT NOT NULL,
    product_id TEXT REFERENCES products(product_id),
    channel TEXT NOT NULL CHECK (channel IN ('im', 'sms', 'push', 'email')),
    sent_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS templates (
    template_id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns(campaign_id),
    merchant_id TEXT NOT NULL REFERENCES merchants(merchant_id),
    segment TEXT NOT NULL,
    channel TEXT NOT NULL,
    product_category TEXT NOT NULL,
    text TEXT NOT NULL,
    subject TEXT,
    sends INTEGER NOT NULL CHECK (sends >= opens),
    opens INTEGER NOT NULL CHECK (opens >= clicks),
    clicks INTEGER NOT NULL CHECK (clicks >= conversions),
    conversions INTEGER NOT NULL CHECK (conversions >= 0),
    revenue REAL CHECK (revenue IS NULL OR revenue >= 0),
    unsubscribes INTEGER CHECK (unsubscribes IS NULL OR unsubscribes >= 0)
);
CREATE INDEX IF NOT EXISTS templates_merchant_segment ON templates (merchant_id, segment);
CREATE INDEX IF NOT EXISTS templates_segment_category ON templates (segment, product_category);
CREATE INDEX IF NOT EXISTS campaigns_merchant_segment ON campaigns (merchant_id, segment);
"""


class Connection:
    """The connection to a store's file: opens it, creates or migrates its schema, and
    holds the transaction, the store's facts and the cached values."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are opened explicitly by ``transaction()``.
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._ensure_schema()
        # Model answers cached per data version; keys carry the version, so an import
        # invalidates them without touching this table.
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS llm_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
        )

    def _ensure_schema(self) -> None:
        row = None
        with suppress(sqlite3.OperationalError):  # a new file has no meta table yet
            row = self._conn.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        if row is not None:
            version = int(row[0])
            while version in _MIGRATIONS:
                self._conn.executescript(
                    "BEGIN IMMEDIATE;"
                    + _MIGRATIONS[version]
                    + f"UPDATE meta SET value = '{version + 1}' WHERE key = 'schema_version';"
                    + "COMMIT;"
                )
                version += 1
            if version != SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path}: schema version {row[0]}, this CRMAgent expects "
                    f"{SCHEMA_VERSION}; move the file aside and re-import"
                )
            return
        # executescript commits any open transaction first, so the script carries its own.
        self._conn.executescript(
            "BEGIN IMMEDIATE;"
            + _SCHEMA
            + f"INSERT OR REPLACE INTO meta VALUES ('schema_version', '{SCHEMA_VERSION}');"
            + "COMMIT;"
        )

    def cached(self, key: str) -> str | None:
        """A value computed once per data version (a model's reading of the patterns)."""
        row = self._conn.execute("SELECT value FROM llm_cache WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def cache(self, key: str, value: str) -> None:
        """Keep a computed value (outside any import transaction)."""
        self._conn.execute("INSERT OR REPLACE INTO llm_cache VALUES (?, ?)", (key, value))

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all. While it writes, the page cache
        is raised to 128 MB (a large import keeps its index pages in memory instead of
        spilling and re-reading them); it drops back after."""
        previous = self._conn.execute("PRAGMA cache_size").fetchone()[0]
        self._conn.execute("PRAGMA cache_size=-131072")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        finally:
            self._conn.execute(f"PRAGMA cache_size={int(previous)}")

    # -- writes (call inside ``transaction()``) ---------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        """Record a fact about the store (its origin, for instance)."""
        self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- reads ------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A fact recorded with ``set_meta``, or None."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def count(self, table: str) -> int:
        """Rows in one of the store's tables."""
        if table not in {"merchants", "segments", "products", "vouchers", "campaigns", "templates"}:
            raise ValueError(f"unknown table {table!r}")
        return int(self._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
