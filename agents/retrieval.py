"""The retrieval agent: other merchants' top templates in the same segment, those written
for the same purpose first, ranked by voucher-type, product-category, channel and text
similarity."""

from __future__ import annotations

from dataclasses import dataclass

from agents.template import minimal
from tools.crm.index import Hit, TemplateIndex
from tools.crm.store import Store
from tools.domain import CampaignRequest, Merchant, Reference
from tools.message.purpose import infer_purpose, purpose_of


@dataclass(frozen=True)
class Retrieval:
    """References that cleared the threshold, or why none did."""

    references: list[Reference]
    hits: list[Hit]
    reason: str | None


def query_text(request: CampaignRequest, merchant: Merchant) -> str:
    """What to search by: the merchant's current text, else the plainest message the
    campaign could send (its offer, product and link), so that a message is compared with
    messages (the campaign's facts in a line of keywords came out too unlike any message to
    clear the threshold)."""
    if request.original_template and request.original_template.strip():
        return request.original_template
    return minimal(request, merchant).body


def retrieve(
    store: Store,
    index: TemplateIndex,
    request: CampaignRequest,
    segment: str,
    merchant: Merchant,
    *,
    threshold: float,
    k: int,
) -> Retrieval:
    """The best references above ``threshold`` (at most ``k``)."""
    hits = index.search(
        store,
        segment,
        query_text(request, merchant),
        exclude_merchant=request.merchant_id,
        voucher_type=request.voucher.type.value if request.voucher else "none",
        product_category=request.product_category,
        channel=request.channel.value,
        k=max(k * 3, 12),
    )
    # References written for the same purpose come first ("it's back" learns from other
    # restock messages, not from sales), each group by similarity.
    purpose = purpose_of(request, segment)
    hits.sort(key=lambda h: infer_purpose(h.text, None, segment) != purpose)
    kept = [h for h in hits if h.similarity >= threshold][:k]
    if not hits:
        return Retrieval([], hits, f"no other merchant has top templates in {segment}")
    if not kept:
        return Retrieval(
            [],
            hits,
            (
                f"no other merchant's top template in {segment} reaches similarity "
                f"{threshold:.2f}; the closest scored {hits[0].similarity:.2f}"
            ),
        )
    references = [
        Reference(
            template_id=h.template_id,
            merchant_id=h.merchant_id,
            similarity=h.similarity,
            text=h.text,
            cvr=round(h.shrunk_cvr, 6),
        )
        for h in kept
    ]
    return Retrieval(references, kept, None)
