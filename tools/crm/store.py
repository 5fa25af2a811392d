"""The CRM store: one SQLite file under ``$CRMAGENT_HOME`` holding merchants, segments,
products, vouchers, campaigns and templates with their send statistics.

WAL journal, foreign keys on, and every write inside one ``transaction()`` so that a failed
import changes nothing. Reads return flat ``TemplateRecord`` tuples (cheap to build by the
thousand); the column set is the ingestion file's, so what goes in is what comes out.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from tools.domain import CANONICAL_SEGMENTS, Merchant, Segment, validation_problems

SCHEMA_VERSION = 2
WORK: Counter[str] = Counter()
"""What this process has done with its stores' history: ``rows`` (template rows read) and,
from ``tools.crm.history``, ``texts`` (stored texts parsed). A test counts a request's work
with it, so that a cost that grows with the store fails a test, not a user."""
_MIGRATIONS = {1: "ALTER TABLE merchants ADD COLUMN merge_fields TEXT;"}
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
    revenue REAL CHECK (revenue IS NULL OR revenue >= 0)
);
CREATE INDEX IF NOT EXISTS templates_merchant_segment ON templates (merchant_id, segment);
CREATE INDEX IF NOT EXISTS templates_segment_category ON templates (segment, product_category);
CREATE INDEX IF NOT EXISTS campaigns_merchant_segment ON campaigns (merchant_id, segment);
"""


class TemplateRecord(NamedTuple):
    """A template with its campaign, voucher and statistics, flat (the ingestion columns)."""

    template_id: str
    merchant_id: str
    segment: str
    channel: str
    voucher_type: str
    voucher_value: float
    min_spend: float | None
    expires: str | None
    code: str | None
    product_category: str
    text: str
    subject: str | None
    sends: int
    opens: int
    clicks: int
    conversions: int
    revenue: float | None
    sent_at: str


TEMPLATE_COLUMNS: tuple[str, ...] = TemplateRecord._fields

_SELECT_TEMPLATES = """
SELECT t.template_id, t.merchant_id, t.segment, t.channel, v.type, v.value, v.min_spend,
       v.expires, v.code, t.product_category, t.text, t.subject, t.sends, t.opens, t.clicks,
       t.conversions, t.revenue, c.sent_at
FROM templates t
JOIN campaigns c ON c.campaign_id = t.campaign_id
JOIN vouchers v ON v.voucher_id = c.voucher_id
"""

_SEGMENT_NAMES = "LEFT JOIN segments s ON s.merchant_id = t.merchant_id AND s.name = t.segment"
_SEGMENT_OF = "COALESCE(s.canonical, t.segment)"
"""The segment a template counts in (with ``_SEGMENT_NAMES`` joined): the name it is stored
under, or the canonical segment its merchant mapped that name onto (``map_segment``)."""
_IN_SEGMENT = (
    "t.segment IN (SELECT :segment UNION SELECT name FROM segments WHERE canonical = :segment) "
    f"AND {_SEGMENT_OF} = :segment"
)
"""A template in the segment ``:segment``: the first half lets SQLite use the segment index,
the second drops a name that another merchant maps elsewhere."""


def _digest(*parts: object) -> str:
    joined = "\x1f".join(["" if part is None else str(part) for part in parts])
    return hashlib.sha1(joined.encode()).hexdigest()[:16]


def voucher_id_for(record: TemplateRecord) -> str:
    """A stable voucher id: the same offer of the same merchant is one voucher row."""
    return "v_" + _digest(
        record.merchant_id,
        record.voucher_type,
        record.voucher_value,
        record.min_spend,
        record.expires,
        record.code,
    )


def campaign_id_for(record: TemplateRecord, voucher_id: str | None = None) -> str:
    """A stable campaign id: merchant x segment x voucher x category x channel x date."""
    return "c_" + _digest(
        record.merchant_id,
        record.segment,
        voucher_id or voucher_id_for(record),
        record.product_category,
        record.channel,
        record.sent_at,
    )


class Store:
    """A connection to the CRM store; creates the schema on first open."""

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

    def __enter__(self) -> Store:
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

    def put_merchants(self, merchants: Iterable[Merchant]) -> None:
        """Insert or update merchant profiles (in place: templates and segments refer to
        them). A batch run after a change answers afresh: ``profiles_version`` names it."""
        self._conn.executemany(
            "INSERT INTO merchants VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (merchant_id) "
            "DO UPDATE SET name = excluded.name, brand_voice = excluded.brand_voice, "
            "locale = excluded.locale, max_discount = excluded.max_discount, "
            "forbidden_words = excluded.forbidden_words, merge_fields = excluded.merge_fields",
            [
                (
                    m.merchant_id,
                    m.name,
                    m.brand_voice,
                    m.locale,
                    m.max_discount,
                    json.dumps(list(m.forbidden_words)),
                    m.merge_fields,
                )
                for m in merchants
            ],
        )
        self.set_meta("profiles_version", uuid.uuid4().hex)

    def put_segments(self, rows: Iterable[tuple[str, str, str | None, int | None]]) -> None:
        """Insert or replace ``(merchant_id, name, canonical, customers)`` segment rows."""
        self._conn.executemany("INSERT OR REPLACE INTO segments VALUES (?, ?, ?, ?)", rows)

    def map_segment(self, merchant_id: str, name: str, canonical: str) -> None:
        """Map a merchant's own segment name onto a canonical segment; a ``ValueError``
        names each field that is wrong."""
        try:
            Segment(merchant_id=merchant_id, name=name, canonical=canonical)
        except ValidationError as exc:
            raise ValueError(validation_problems(exc, "segment")) from exc
        self.ensure_merchants([merchant_id])
        self._conn.execute(
            "INSERT INTO segments (merchant_id, name, canonical) VALUES (?, ?, ?) "
            "ON CONFLICT (merchant_id, name) DO UPDATE SET canonical = excluded.canonical",
            (merchant_id, name, canonical),
        )
        # The merchant's templates under that name now count in the canonical segment's
        # history: what was built from the old reading (caches, the index) is stale.
        self.set_meta("data_version", uuid.uuid4().hex)

    def put_products(self, rows: Iterable[tuple[str, str, str, str, float]]) -> None:
        """Insert or replace ``(product_id, merchant_id, name, category, price)`` rows."""
        self._conn.executemany("INSERT OR REPLACE INTO products VALUES (?, ?, ?, ?, ?)", rows)

    def ensure_merchants(self, merchant_ids: Iterable[str]) -> None:
        """Create a default profile for merchants seen for the first time."""
        self._conn.executemany(
            "INSERT OR IGNORE INTO merchants (merchant_id, name) VALUES (?, ?)",
            [(merchant_id, merchant_id) for merchant_id in merchant_ids],
        )

    def put_templates(
        self,
        records: Sequence[TemplateRecord],
        campaign_ids: Sequence[str] | None = None,
        product_ids: Sequence[str | None] | None = None,
    ) -> None:
        """Upsert templates, creating their merchants, vouchers and campaigns on first sight.

        Campaign ids are derived from the campaign's fields unless given; re-putting the
        same records leaves every row once.
        """
        self.ensure_merchants({r.merchant_id for r in records})
        # Anything built from the templates (the vector index, caches) keys on this token.
        self.set_meta("data_version", uuid.uuid4().hex)
        voucher_ids = [voucher_id_for(r) for r in records]
        if campaign_ids is None:
            campaign_ids = [
                campaign_id_for(r, v) for r, v in zip(records, voucher_ids, strict=True)
            ]
        if product_ids is None:
            product_ids = [None] * len(records)
        self._conn.executemany(
            "INSERT OR IGNORE INTO vouchers VALUES (?, ?, ?, ?, ?, ?, ?)",
            {
                (
                    vid,
                    r.merchant_id,
                    r.voucher_type,
                    r.voucher_value,
                    r.min_spend,
                    r.expires,
                    r.code,
                )
                for vid, r in zip(voucher_ids, records, strict=True)
            },
        )
        self._conn.executemany(
            "INSERT OR IGNORE INTO campaigns VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            {
                (cid, r.merchant_id, r.segment, vid, r.product_category, pid, r.channel, r.sent_at)
                for cid, vid, pid, r in zip(
                    campaign_ids, voucher_ids, product_ids, records, strict=True
                )
            },
        )
        self._conn.executemany(
            """INSERT INTO templates VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (template_id) DO UPDATE SET
                campaign_id = excluded.campaign_id, merchant_id = excluded.merchant_id,
                segment = excluded.segment, channel = excluded.channel,
                product_category = excluded.product_category, text = excluded.text,
                subject = excluded.subject, sends = excluded.sends, opens = excluded.opens,
                clicks = excluded.clicks, conversions = excluded.conversions,
                revenue = excluded.revenue""",
            [
                (
                    r.template_id,
                    cid,
                    r.merchant_id,
                    r.segment,
                    r.channel,
                    r.product_category,
                    r.text,
                    r.subject,
                    r.sends,
                    r.opens,
                    r.clicks,
                    r.conversions,
                    r.revenue,
                )
                for cid, r in zip(campaign_ids, records, strict=True)
            ],
        )

    # -- reads ------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A fact recorded with ``set_meta``, or None."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def merchant(self, merchant_id: str) -> Merchant | None:
        """A merchant's profile, or None if the store has never seen it."""
        row = self._conn.execute(
            "SELECT merchant_id, name, brand_voice, locale, max_discount, forbidden_words, "
            "merge_fields FROM merchants WHERE merchant_id = ?",
            (merchant_id,),
        ).fetchone()
        if row is None:
            return None
        return Merchant(
            merchant_id=row[0],
            name=row[1],
            brand_voice=row[2],
            locale=row[3],
            max_discount=row[4],
            forbidden_words=tuple(json.loads(row[5])),
            merge_fields=row[6],
        )

    def canonical_segment(self, merchant_id: str, segment: str) -> str | None:
        """The canonical segment a merchant's segment name stands for, if known."""
        if segment in CANONICAL_SEGMENTS:
            return segment
        row = self._conn.execute(
            "SELECT canonical FROM segments WHERE merchant_id = ? AND name = ?",
            (merchant_id, segment),
        ).fetchone()
        return None if row is None else row[0]

    def segment_of(self, merchant_id: str, name: str) -> str:
        """The segment a merchant's templates under ``name`` count in: the canonical segment
        the name is mapped onto, else the name itself."""
        return self.canonical_segment(merchant_id, name) or name

    def templates(
        self, merchant_id: str | None = None, segment: str | None = None
    ) -> list[TemplateRecord]:
        """Templates, optionally of one merchant and/or one segment, by template id. A
        segment holds a merchant's templates under its own name for it (``map_segment``),
        and a merchant's own name asks for the segment it stands for."""
        if merchant_id is not None and segment is not None:
            segment = self.segment_of(merchant_id, segment)
        clauses, params = [], {"merchant": merchant_id, "segment": segment}
        if merchant_id is not None:
            clauses.append("t.merchant_id = :merchant")
        if segment is not None:
            clauses.append(_IN_SEGMENT)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._conn.execute(
            f"{_SELECT_TEMPLATES} {_SEGMENT_NAMES}{where} ORDER BY t.template_id", params
        ).fetchall()
        WORK["rows"] += len(rows)
        return list(map(TemplateRecord._make, rows))

    def products(self, merchant_id: str) -> list[tuple[str, str, str, float]]:
        """A merchant's ``(product_id, name, product_category, price)`` rows."""
        return [
            (row[0], row[1], row[2], float(row[3]))
            for row in self._conn.execute(
                "SELECT product_id, name, product_category, price FROM products "
                "WHERE merchant_id = ? ORDER BY product_id",
                (merchant_id,),
            )
        ]

    def product_of(self, template_id: str) -> str | None:
        """The name of the product a template's campaign was about, when on record."""
        row = self._conn.execute(
            "SELECT p.name FROM templates t JOIN campaigns c USING (campaign_id) "
            "JOIN products p ON p.product_id = c.product_id WHERE t.template_id = ?",
            (template_id,),
        ).fetchone()
        return None if row is None else str(row[0])

    def campaign_ids(self) -> dict[str, str]:
        """Each template's campaign id."""
        return dict(self._conn.execute("SELECT template_id, campaign_id FROM templates"))

    def best_converting(self, merchant_id: str, segment: str, start: str, end: str) -> str | None:
        """The merchant's template with the highest conversion rate in a segment among those
        sent between ``start`` and ``end`` (ISO dates, inclusive); ties go to more sends. The
        segment reads as in ``templates``."""
        row = self._conn.execute(
            "SELECT t.template_id FROM templates t JOIN campaigns c USING (campaign_id) "
            f"{_SEGMENT_NAMES} WHERE t.merchant_id = :merchant AND {_IN_SEGMENT} "
            "AND c.sent_at BETWEEN :start AND :end AND t.sends > 0 "
            "ORDER BY t.conversions * 1.0 / t.sends DESC, t.sends DESC, t.template_id DESC "
            "LIMIT 1",
            {
                "merchant": merchant_id,
                "segment": self.segment_of(merchant_id, segment),
                "start": start,
                "end": end,
            },
        ).fetchone()
        return None if row is None else str(row[0])

    def segment_rates(self, voucher_type: str, channel: str) -> list[tuple[str, int, int]]:
        """``(segment, sends, conversions)`` of templates with a voucher type on a channel
        (a merchant's own segment name counted as the canonical segment it is mapped onto)."""
        return [
            (str(r[0]), int(r[1]), int(r[2]))
            for r in self._conn.execute(
                f"SELECT {_SEGMENT_OF}, SUM(t.sends), SUM(t.conversions) FROM templates t "
                "JOIN campaigns c USING (campaign_id) JOIN vouchers v USING (voucher_id) "
                f"{_SEGMENT_NAMES} WHERE v.type = ? AND t.channel = ? GROUP BY 1 ORDER BY 1",
                (voucher_type, channel),
            )
        ]

    def replay_request(self, record: TemplateRecord, **changes: Any) -> dict[str, Any]:
        """A ``CampaignRequest`` (as JSON) for a stored template's campaign, as it was sent:
        its voucher, product, channel and date, the template as the original. For
        benchmarks, demos and back-tests; ``changes`` override any field."""
        request = {
            "id": record.template_id,
            "merchant_id": record.merchant_id,
            "segment": record.segment,
            "channel": record.channel,
            "product_category": record.product_category,
            "product_name": self.product_of(record.template_id) or "bestseller",
            "original_template": record.text,
            "send_date": record.sent_at,
            "voucher": {
                "type": record.voucher_type,
                "value": record.voucher_value,
                "min_spend": record.min_spend,
                "expires": record.expires,
                "code": record.code,
            },
        }
        return {**request, **changes}

    def count(self, table: str) -> int:
        """Rows in one of the store's tables."""
        if table not in {"merchants", "segments", "products", "vouchers", "campaigns", "templates"}:
            raise ValueError(f"unknown table {table!r}")
        return int(self._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def segment_summary(self) -> list[tuple[str, str, int, int, int]]:
        """``(merchant_id, segment, templates, sends, conversions)`` per merchant x segment."""
        return [
            (row[0], row[1], int(row[2]), int(row[3]), int(row[4]))
            for row in self._conn.execute(
                "SELECT merchant_id, segment, COUNT(*), SUM(sends), SUM(conversions) "
                "FROM templates GROUP BY merchant_id, segment ORDER BY merchant_id, segment"
            )
        ]

    def learning_segments(self) -> list[str]:
        """The segments history is read by (``templates(segment=...)``): the names templates
        are stored under, a merchant's own name counted as the canonical segment it is
        mapped onto."""
        return [
            str(row[0])
            for row in self._conn.execute(
                f"SELECT DISTINCT {_SEGMENT_OF} FROM templates t {_SEGMENT_NAMES} ORDER BY 1"
            )
        ]

    def existing_template_ids(self, template_ids: Iterable[str]) -> set[str]:
        """Which of these template ids the store already holds."""
        found: set[str] = set()
        ids = list(template_ids)
        for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            found.update(
                row[0]
                for row in self._conn.execute(
                    f"SELECT template_id FROM templates WHERE template_id IN ({marks})", chunk
                )
            )
        return found
