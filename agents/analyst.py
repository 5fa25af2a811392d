"""The analyst agent: exact answers to a marketer's data questions, with tools over the
store (queries, and the same within-campaign lifts the content agent uses)."""

from __future__ import annotations

from collections.abc import Sequence

from tools.crm.history import joint_segment_lifts, segment_history, segment_lifts
from tools.crm.store import Store


def best_template(store: Store, merchant_id: str, segment: str, start: str, end: str) -> str | None:
    """Which of the merchant's templates converted best in the segment in the period."""
    return store.best_converting(merchant_id, segment, start, end)


def top_element(store: Store, segment: str, elements: Sequence[str]) -> str | None:
    """The copy element with the largest within-campaign lift in the segment, all elements
    read at once so that none takes the credit for the company it keeps (None when the
    segment has no history; only elements its campaigns tested both ways count)."""
    _, history = segment_history(store, segment)
    if not history:
        return None
    tested = segment_lifts(store, segment)
    known = [e for e in elements if e in tested]
    lifts = joint_segment_lifts(store, segment)
    return max(known, key=lambda e: lifts[e]) if known else None


def best_segment(store: Store, voucher_type: str, channel: str, min_sends: int) -> str | None:
    """The segment converting best on a voucher type and channel, among those with at least
    ``min_sends`` sends of it."""
    rates = [
        (conversions / sends, segment)
        for segment, sends, conversions in store.segment_rates(voucher_type, channel)
        if sends >= min_sends
    ]
    return max(rates)[1] if rates else None
