"""Who sends and to whom: the merchants' profiles, their segments (and the canonical
segment a merchant's own name stands for) and their products."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

from pydantic import ValidationError
from sqlalchemy import select

from tools.crm.store.schema import Connection
from tools.crm.store.tables import merchants as merchant_rows
from tools.crm.store.tables import products as product_rows
from tools.crm.store.tables import segments
from tools.domain import CANONICAL_SEGMENTS, Merchant, Segment, validation_problems

_PROFILE = ("name", "brand_voice", "locale", "max_discount", "forbidden_words", "merge_fields")
"""What a merchant's profile sets (all but its id)."""


class Profiles(Connection):
    """The store's merchants, segments and products."""

    # -- writes (call inside ``transaction()``) ---------------------------------------------

    def put_merchants(self, merchants: Iterable[Merchant]) -> None:
        """Insert or update merchant profiles (in place: templates and segments refer to
        them). A batch run after a change answers afresh: ``profiles_version`` names it."""
        self._put_rows(
            self.upsert(merchant_rows, update=_PROFILE),
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
        self._put_rows(self.upsert(segments, update=["canonical", "customers"]), list(rows))

    def map_segment(self, merchant_id: str, name: str, canonical: str) -> None:
        """Map a merchant's own segment name onto a canonical segment; a ``ValueError``
        names each field that is wrong."""
        try:
            Segment(merchant_id=merchant_id, name=name, canonical=canonical)
        except ValidationError as exc:
            raise ValueError(validation_problems(exc, "segment")) from exc
        self.ensure_merchants([merchant_id])
        self._run(
            self.upsert(segments, update=["canonical"]),
            {"merchant_id": merchant_id, "name": name, "canonical": canonical},
        )
        # The merchant's templates under that name now count in the canonical segment's
        # history: what was built from the old reading (caches, the index) is stale.
        self.set_meta("data_version", uuid.uuid4().hex)

    def put_products(self, rows: Iterable[tuple[str, str, str, str, float]]) -> None:
        """Insert or replace ``(product_id, merchant_id, name, category, price)`` rows."""
        self._put_rows(
            self.upsert(product_rows, update=["merchant_id", "name", "product_category", "price"]),
            list(rows),
        )

    def ensure_merchants(self, merchant_ids: Iterable[str]) -> None:
        """Create a default profile for merchants seen for the first time."""
        self._run(
            self.upsert(merchant_rows),
            [{"merchant_id": m, "name": m} for m in sorted(merchant_ids)],
        )

    # -- reads ------------------------------------------------------------------------------

    def merchant(self, merchant_id: str) -> Merchant | None:
        """A merchant's profile, or None if the store has never seen it."""
        row = self._first(select(merchant_rows).where(merchant_rows.c.merchant_id == merchant_id))
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
        row = self._first(
            select(segments.c.canonical).where(
                segments.c.merchant_id == merchant_id, segments.c.name == segment
            )
        )
        return None if row is None else row[0]

    def segment_of(self, merchant_id: str, name: str) -> str:
        """The segment a merchant's templates under ``name`` count in: the canonical segment
        the name is mapped onto, else the name itself."""
        return self.canonical_segment(merchant_id, name) or name

    def products(self, merchant_id: str) -> list[tuple[str, str, str, float]]:
        """A merchant's ``(product_id, name, product_category, price)`` rows."""
        return [
            (row[0], row[1], row[2], float(row[3]))
            for row in self._rows(
                select(
                    product_rows.c.product_id,
                    product_rows.c.name,
                    product_rows.c.product_category,
                    product_rows.c.price,
                )
                .where(product_rows.c.merchant_id == merchant_id)
                .order_by(product_rows.c.product_id)
            )
        ]
