"""What the merchants sent and how it did: the templates with their vouchers and campaigns,
written on import and read by merchant and segment (a merchant's own segment name counted
in the canonical segment it is mapped onto), with the work counter ``WORK``."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, text

from tools.crm.store.profiles import Profiles
from tools.crm.store.records import ARM_PREFIX, TemplateRecord, campaign_id_for, voucher_id_for
from tools.crm.store.tables import arm_readings, campaigns, templates, vouchers

WORK: Counter[str] = Counter()
"""What this process has done with its stores' history: ``rows`` (template rows read) and,
from ``tools.crm.history``, ``texts`` (stored texts parsed). A test counts a request's work
with it, so that a cost that grows with the store fails a test, not a user."""

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
"""A template in the segment ``:segment``: the first half lets the database use the segment
index, the second drops a name that another merchant maps elsewhere."""


_STATISTICS = (
    "campaign_id", "merchant_id", "segment", "channel", "product_category", "text", "subject",
    "sends", "opens", "clicks", "conversions", "revenue",
)  # fmt: skip
"""What a re-import of a template replaces (its unsubscribes only where the file has them);
a row whose values are all the same is not written, nor counted (a voucher or date
changed is a new campaign id)."""


class Templates(Profiles):
    """The store's templates, with their vouchers and campaigns."""

    # -- writes (call inside ``transaction()``) ---------------------------------------------

    def put_templates(
        self,
        records: Sequence[TemplateRecord],
        campaign_ids: Sequence[str] | None = None,
        product_ids: Sequence[str | None] | None = None,
        unsubscribes: Sequence[int | None] | None = None,
    ) -> int:
        """Upsert templates, creating their merchants, vouchers and campaigns on first sight;
        how many templates were new or differed from the stored ones.

        Campaign ids are derived from the campaign's fields unless given; re-putting the
        same records leaves every row once, and changes nothing: the data version (what
        caches and the vector index key on) is new only when a template is. ``unsubscribes``
        (one per record, None: not known) is kept beside the statistics; a None leaves a
        count already stored. An experiment arm's row (``ARM_PREFIX``) keeps a reading of
        its totals as well, the experiment's history.
        """
        self.ensure_merchants({r.merchant_id for r in records})
        voucher_ids = [voucher_id_for(r) for r in records]
        if campaign_ids is None:
            campaign_ids = [
                campaign_id_for(r, v) for r, v in zip(records, voucher_ids, strict=True)
            ]
        if product_ids is None:
            product_ids = [None] * len(records)
        if unsubscribes is None:
            unsubscribes = [None] * len(records)
        self._put_rows(
            self.upsert(vouchers),
            list(
                {
                    vid: (
                        vid,
                        r.merchant_id,
                        r.voucher_type,
                        r.voucher_value,
                        r.min_spend,
                        r.expires,
                        r.code,
                    )
                    for vid, r in zip(voucher_ids, records, strict=True)
                }.values()
            ),
        )
        self._put_rows(
            self.upsert(campaigns),
            list(
                {
                    cid: (
                        cid,
                        r.merchant_id,
                        r.segment,
                        vid,
                        r.product_category,
                        pid,
                        r.channel,
                        r.sent_at,
                    )
                    for cid, vid, pid, r in zip(
                        campaign_ids, voucher_ids, product_ids, records, strict=True
                    )
                }.values()
            ),
        )
        written = self._put_rows(
            self.upsert(templates, update=_STATISTICS, keep=["unsubscribes"], changed_only=True),
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
                    u,
                )
                for cid, r, u in zip(campaign_ids, records, unsubscribes, strict=True)
            ],
        )
        if written:
            # Anything built from the templates (the vector index, caches) keys on this token.
            self.set_meta("data_version", uuid.uuid4().hex)
            read_at = datetime.now(UTC).isoformat(timespec="microseconds")
            self._put_rows(
                insert(arm_readings),
                [
                    (r.template_id, r.sends, r.conversions, read_at)
                    for r in records
                    if r.template_id.startswith(ARM_PREFIX)
                ],
            )
        return written

    # -- reads ------------------------------------------------------------------------------

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
        rows = self._rows(
            text(f"{_SELECT_TEMPLATES} {_SEGMENT_NAMES}{where} ORDER BY t.template_id"), params
        )
        WORK["rows"] += len(rows)
        return list(map(TemplateRecord._make, rows))

    def product_of(self, template_id: str) -> str | None:
        """The name of the product a template's campaign was about, when on record."""
        row = self._first(
            text(
                "SELECT p.name FROM templates t JOIN campaigns c USING (campaign_id) "
                "JOIN products p ON p.product_id = c.product_id WHERE t.template_id = :template"
            ),
            {"template": template_id},
        )
        return None if row is None else str(row[0])

    def campaign_ids(self) -> dict[str, str]:
        """Each template's campaign id."""
        rows = self._rows(select(templates.c.template_id, templates.c.campaign_id))
        return {str(template): str(campaign) for template, campaign in rows}

    def best_converting(self, merchant_id: str, segment: str, start: str, end: str) -> str | None:
        """The merchant's template with the highest conversion rate in a segment among those
        sent between ``start`` and ``end`` (ISO dates, inclusive); ties go to more sends. The
        segment reads as in ``templates``."""
        row = self._first(
            text(
                "SELECT t.template_id FROM templates t JOIN campaigns c USING (campaign_id) "
                f"{_SEGMENT_NAMES} WHERE t.merchant_id = :merchant AND {_IN_SEGMENT} "
                "AND c.sent_at BETWEEN :start AND :end AND t.sends > 0 "
                "ORDER BY t.conversions * 1.0 / t.sends DESC, t.sends DESC, t.template_id DESC "
                "LIMIT 1"
            ),
            {
                "merchant": merchant_id,
                "segment": self.segment_of(merchant_id, segment),
                "start": start,
                "end": end,
            },
        )
        return None if row is None else str(row[0])

    def segment_rates(self, voucher_type: str, channel: str) -> list[tuple[str, int, int]]:
        """``(segment, sends, conversions)`` of templates with a voucher type on a channel
        (a merchant's own segment name counted as the canonical segment it is mapped onto)."""
        return [
            (str(r[0]), int(r[1]), int(r[2]))
            for r in self._rows(
                text(
                    f"SELECT {_SEGMENT_OF}, SUM(t.sends), SUM(t.conversions) FROM templates t "
                    "JOIN campaigns c USING (campaign_id) JOIN vouchers v USING (voucher_id) "
                    f"{_SEGMENT_NAMES} WHERE v.type = :voucher_type AND t.channel = :channel "
                    "GROUP BY 1 ORDER BY 1"
                ),
                {"voucher_type": voucher_type, "channel": channel},
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

    def segment_summary(self) -> list[tuple[str, str, int, int, int]]:
        """``(merchant_id, segment, templates, sends, conversions)`` per merchant x segment."""
        return [
            (row[0], row[1], int(row[2]), int(row[3]), int(row[4]))
            for row in self._rows(
                select(
                    templates.c.merchant_id,
                    templates.c.segment,
                    func.count(),
                    func.sum(templates.c.sends),
                    func.sum(templates.c.conversions),
                )
                .group_by(templates.c.merchant_id, templates.c.segment)
                .order_by(templates.c.merchant_id, templates.c.segment)
            )
        ]

    def learning_segments(self) -> list[str]:
        """The segments history is read by (``templates(segment=...)``): the names templates
        are stored under, a merchant's own name counted as the canonical segment it is
        mapped onto."""
        return [
            str(row[0])
            for row in self._rows(
                text(f"SELECT DISTINCT {_SEGMENT_OF} FROM templates t {_SEGMENT_NAMES} ORDER BY 1")
            )
        ]

    def unsubscribes(self, template_ids: Iterable[str] | None = None) -> dict[str, int]:
        """The unsubscribe counts on record for these templates, or for every template
        (those without one are left out)."""
        query = select(templates.c.template_id, templates.c.unsubscribes).where(
            templates.c.unsubscribes.is_not(None)
        )
        if template_ids is not None:
            query = query.where(templates.c.template_id.in_(list(template_ids)))
        return {str(row[0]): int(row[1]) for row in self._rows(query)}

    def existing_template_ids(self, template_ids: Iterable[str]) -> set[str]:
        """Which of these template ids the store already holds."""
        return {str(found) for found in self._present(templates.c.template_id, list(template_ids))}
