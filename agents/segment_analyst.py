"""The segment analyst: the merchant's own history in the segment, scored against the whole
segment, split into top and bottom performers, with the verdict on group learning."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tools.crm.history import own_history, per_data_version, score, segment_history
from tools.crm.store import Store
from tools.statistics import gap_test


class OwnTemplate(BaseModel):
    """One of the merchant's templates in the segment, scored."""

    template_id: str
    text: str
    subject: str | None
    channel: str
    voucher_type: str
    sends: int
    conversions: int
    shrunk_cvr: float = Field(description="Conversion rate shrunk toward the segment prior.")
    percentile: float = Field(description="Rank among the merchant's own templates, 0-1.")


class GapSummary(BaseModel):
    """Top vs bottom group of the merchant's templates."""

    top_rate: float
    bottom_rate: float
    ratio: float
    p_value: float
    top_sends: int
    bottom_sends: int


class SegmentAnalysis(BaseModel):
    """What the merchant's history in the segment shows."""

    segment: str
    canonical: str | None = Field(description="Canonical segment whose best practice applies.")
    segment_templates: int = Field(description="Templates in the segment, all merchants.")
    segment_cvr: float = Field(description="The segment prior's mean conversion rate.")
    own: list[OwnTemplate] = Field(default_factory=list, description="Best first.")
    own_sends: int = 0
    own_conversions: int = 0
    top_ids: list[str] = Field(default_factory=list)
    bottom_ids: list[str] = Field(default_factory=list)
    gap: GapSummary | None = None
    group_ok: bool = False
    group_reason: str = ""

    def best_for(self, channel: str, count: int) -> list[OwnTemplate]:
        """The merchant's ``count`` best templates to write a ``channel`` message from: those
        sent in that channel first (a top SMS owes much of its rate to the channel's opens
        and is cut to SMS length), then the best of the rest."""
        return sorted(self.own, key=lambda t: t.channel != channel)[:count]


def own_templates(store: Store, merchant_id: str, segment: str) -> list[OwnTemplate]:
    """The merchant's templates in the segment, best first: each rate shrunk toward the
    segment's, ranked within the merchant. Cached like ``tools.crm.history.segment_history``
    (every request of a batch for the pair asks)."""

    def compute() -> list[OwnTemplate]:
        prior, _ = segment_history(store, segment)
        _, scored = score(own_history(store, merchant_id, segment), prior)
        return [
            OwnTemplate(
                template_id=s.record.template_id,
                text=s.record.text,
                subject=s.record.subject,
                channel=s.record.channel,
                voucher_type=s.record.voucher_type,
                sends=s.record.sends,
                conversions=s.record.conversions,
                shrunk_cvr=round(s.shrunk_cvr, 6),
                percentile=round(s.percentile, 4),
            )
            for s in sorted(scored, key=lambda s: s.shrunk_cvr, reverse=True)
        ]

    return per_data_version(store, "own", (merchant_id, segment), compute)


def analyze(
    store: Store,
    merchant_id: str,
    segment: str,
    *,
    min_templates: int,
    min_sends: int,
    gap_confidence: float,
    min_gap_ratio: float,
    top_fraction: float,
    group_allowed: bool = True,
    merchant_known: bool = True,
) -> SegmentAnalysis:
    """Score the merchant's templates in the segment and decide whether group learning can
    run: enough own history, and a top group that beats the bottom one beyond chance.
    ``merchant_known`` is False for a merchant id the store has no profile for."""
    canonical = store.canonical_segment(merchant_id, segment)
    # A name of the merchant's own for a canonical segment reads that segment's history,
    # its own templates under the name included, as pattern extraction and retrieval do.
    prior, everyone = segment_history(store, canonical or segment)
    own = own_templates(store, merchant_id, canonical or segment)
    sends = sum(t.sends for t in own)
    conversions = sum(t.conversions for t in own)
    analysis = SegmentAnalysis(
        segment=segment,
        canonical=canonical,
        segment_templates=len(everyone),
        segment_cvr=round(prior.mean, 6),
        own=own,
        own_sends=sends,
        own_conversions=conversions,
    )
    if not group_allowed:
        return analysis.model_copy(update={"group_reason": "group learning is off for this run"})
    if not merchant_known:  # a new merchant, or a mistyped id
        return analysis.model_copy(
            update={
                "group_reason": (
                    f"merchant {merchant_id} is not in the store: no templates, brand voice, "
                    "discount cap or forbidden words on record; import its templates "
                    "(`crmagent ingest`) and set its profile (`crmagent merchant`), or check "
                    "the id"
                )
            }
        )
    if len(own) < min_templates or sends < min_sends:
        return analysis.model_copy(
            update={
                "group_reason": (
                    f"too little own history in {segment}: {len(own)} templates, {sends:,} sends "
                    f"(group learning needs {min_templates} and {min_sends:,})"
                )
            }
        )
    size = max(2, round(len(own) * top_fraction))
    top, bottom = own[:size], own[-size:]
    gap = gap_test(
        [(t.conversions, t.sends) for t in top], [(t.conversions, t.sends) for t in bottom]
    )
    summary = GapSummary(
        top_rate=round(gap.top_rate, 6),
        bottom_rate=round(gap.bottom_rate, 6),
        ratio=round(gap.ratio, 3) if gap.ratio != float("inf") else 99.0,
        p_value=round(gap.p_value, 4),
        top_sends=gap.top_sends,
        bottom_sends=gap.bottom_sends,
    )
    update: dict[str, object] = {
        "top_ids": [t.template_id for t in top],
        "bottom_ids": [t.template_id for t in bottom],
        "gap": summary,
    }
    if gap.meaningful(gap_confidence, min_gap_ratio):
        update |= {
            "group_ok": True,
            "group_reason": (
                f"top {len(top)} of {len(own)} own templates converted {gap.top_rate:.2%} vs "
                f"{gap.bottom_rate:.2%} for the bottom {len(bottom)} ({summary.ratio:.2f}x, "
                f"p={summary.p_value:.3f})"
            ),
        }
    else:
        update["group_reason"] = (
            f"no meaningful gap between top and bottom own templates: {gap.top_rate:.2%} vs "
            f"{gap.bottom_rate:.2%} ({summary.ratio:.2f}x, p={summary.p_value:.3f}; needs "
            f"p<={1 - gap_confidence:.2f} and {min_gap_ratio:.2f}x)"
        )
    return analysis.model_copy(update=update)
