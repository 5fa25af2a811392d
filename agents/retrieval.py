"""The retrieval agent: other merchants' top templates in the same segment, ranked by
voucher-type, product-category, channel and text similarity."""

from __future__ import annotations

from dataclasses import dataclass

from tools.domain import CampaignRequest, Reference
from tools.index import Hit, TemplateIndex
from tools.offers import offer_phrase
from tools.store import Store


@dataclass(frozen=True)
class Retrieval:
    """References that cleared the threshold, or why none did."""

    references: list[Reference]
    hits: list[Hit]
    reason: str | None


def query_text(request: CampaignRequest) -> str:
    """What to search by: the merchant's current text, else the campaign in words."""
    if request.original_template and request.original_template.strip():
        return request.original_template
    category = request.product_category.replace(">", " ").replace("-", " ")
    return f"{offer_phrase(request.voucher)} {request.product_name} {category}"


def retrieve(
    store: Store,
    index: TemplateIndex,
    request: CampaignRequest,
    segment: str,
    *,
    threshold: float,
    k: int,
) -> Retrieval:
    """The best references above ``threshold`` (at most ``k``)."""
    hits = index.search(
        store,
        segment,
        query_text(request),
        exclude_merchant=request.merchant_id,
        voucher_type=request.voucher.type.value,
        product_category=request.product_category,
        channel=request.channel.value,
        k=max(k * 3, 12),
    )
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
