"""Who sends and to whom: the merchants' profiles, their segments (and the canonical
segment a merchant's own name stands for) and their products."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

from pydantic import ValidationError

from tools.crm.store.schema import Connection
from tools.domain import CANONICAL_SEGMENTS, Merchant, Segment, validation_problems


class Profiles(Connection):
    """The store's merchants, segments and products."""

    # -- writes (call inside ``transaction()``) ---------------------------------------------

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

    # -- reads ------------------------------------------------------------------------------

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
