"""A segment's history scored: each template's conversion rate shrunk toward the segment's
prior, and its percentile rank among the segment's templates (all merchants)."""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain, pairwise
from typing import Any, TypeVar, cast

import numpy as np

from tools.features import FEATURES, CopyContext, copy_features
from tools.statistics import (
    BetaPrior,
    Lift,
    dispersion,
    fit_prior,
    joint_lifts,
    lean,
    log_se,
    percentile_ranks,
    pooled_lift,
    shrink,
    stratified_lifts,
    widened,
)
from tools.store import Store, TemplateRecord
from tools.text import sentences

T = TypeVar("T")

LEARNED: tuple[str, ...] = tuple(f for f in FEATURES if f != "product_named")
"""Features learned from history (a past template's product is not on record)."""


@dataclass(frozen=True)
class ScoredTemplate:
    """A template with its shrunk conversion rate and rank."""

    record: TemplateRecord
    shrunk_cvr: float
    percentile: float

    @property
    def raw_cvr(self) -> float:
        """Conversions per send, unshrunk."""
        return self.record.conversions / self.record.sends if self.record.sends else 0.0


def score(
    records: Sequence[TemplateRecord], prior: BetaPrior | None = None
) -> tuple[BetaPrior, list[ScoredTemplate]]:
    """Shrink and rank templates; the prior is fitted on them unless given."""
    if prior is None:
        prior = fit_prior([r.conversions for r in records], [r.sends for r in records])
    shrunk = [shrink(r.conversions, r.sends, prior) for r in records]
    ranks = percentile_ranks(shrunk)
    return prior, [
        ScoredTemplate(record, rate, rank)
        for record, rate, rank in zip(records, shrunk, ranks, strict=True)
    ]


_DERIVED: dict[tuple[str, str, str, object], Any] = {}
_CACHE_LOCK = threading.Lock()


def per_data_version(store: Store, kind: str, key: object, compute: Callable[[], T]) -> T:
    """``compute()`` once per store, data version, ``kind`` and ``key``: what is derived from
    the history (scores, lifts, models) is reused by every request until an import changes
    the data, and the entries of an older version are dropped then."""
    path, version = str(store.path), store.get_meta("data_version") or ""
    full = (path, version, kind, key)
    with _CACHE_LOCK:
        if full in _DERIVED:
            return cast(T, _DERIVED[full])
    value = compute()
    with _CACHE_LOCK:
        for old in [k for k in _DERIVED if k[0] == path and k[1] != version]:
            del _DERIVED[old]
        _DERIVED[full] = value
    return value


def segment_history(store: Store, segment: str) -> tuple[BetaPrior, list[ScoredTemplate]]:
    """All merchants' templates in a segment, scored; cached until the store's data changes."""
    return per_data_version(
        store, "history", segment, lambda: score(store.templates(segment=segment))
    )


_FEATURE_CACHE: dict[tuple[str, int], dict[str, bool]] = {}


def features_of(record: TemplateRecord) -> dict[str, bool]:
    """A stored template's copy features (cached: history is read by every request)."""
    key = (record.template_id, hash((record.text, record.subject)))
    found = _FEATURE_CACHE.get(key)
    if found is None:
        context = CopyContext(record.channel, "", record.code)
        found = copy_features(record.text, record.subject, context)
        with _CACHE_LOCK:
            if len(_FEATURE_CACHE) > 500_000:
                _FEATURE_CACHE.clear()
            _FEATURE_CACHE[key] = found
    return found


def campaign_key(record: TemplateRecord) -> tuple[object, ...]:
    """The campaign a template ran in (its A/B siblings share it)."""
    return (
        record.merchant_id,
        record.sent_at,
        record.channel,
        record.voucher_type,
        record.voucher_value,
        record.product_category,
    )


def feature_lifts(records: Sequence[TemplateRecord]) -> dict[str, Lift]:
    """Each learned feature's lift within campaigns (coarser strata when campaigns tested
    too little); features no stratum tested both ways are left out."""
    read = (features_of(r) for r in records)
    has = np.array([[features[f] for f in LEARNED] for features in read], dtype=bool)
    lifts = stratified_lifts(
        [campaign_key(r) for r in records],
        [(r.channel, r.voucher_type) for r in records],
        [r.conversions for r in records],
        [r.sends for r in records],
        has.reshape(len(records), len(LEARNED)),
    )
    return {f: lift for f, lift in zip(LEARNED, lifts, strict=True) if lift is not None}


def trusted_lifts(store: Store, records: Sequence[TemplateRecord]) -> dict[str, Lift]:
    """``feature_lifts`` with each interval widened by what the store measured of that
    reading's real error (``segment_dispersion``): one feature read at a time is credited
    with what its A/B siblings also did differently, which its sampling error alone does
    not own up to."""
    factor = segment_dispersion(store)
    return {f: widened(lift, factor) for f, lift in feature_lifts(records).items()}


def segment_lifts(
    store: Store, segment: str, channel: str | None = None, spread: float = 0.15
) -> dict[str, Lift]:
    """Feature lifts over a whole segment (all merchants), as far as the store trusts them
    (``trusted_lifts``); for one ``channel``, the channel's own lifts shrunk toward the
    segment's by ``spread`` (emoji, say, help in IM and hurt in e-mail). Cached like
    ``segment_history``."""

    def compute() -> dict[str, Lift]:
        _, scored = segment_history(store, segment)
        records = [s.record for s in scored]
        if channel is None:
            return trusted_lifts(store, records)
        overall = segment_lifts(store, segment)
        mine = trusted_lifts(store, [r for r in records if r.channel == channel])
        pooled = {f: pooled_lift(mine.get(f), overall.get(f), spread) for f in {*mine, *overall}}
        return {f: lift for f, lift in sorted(pooled.items()) if lift is not None}

    return per_data_version(store, "lifts", (segment, channel, spread), compute)


def merchant_leans(
    store: Store, merchant_id: str, segment: str, spread: float
) -> dict[str, tuple[float, float]]:
    """How the merchant's customers lean on each feature, from its other segments: the
    ``(shift, variance)`` of its log lifts from those segments' lifts (``tools.statistics.
    lean``). A brand whose customers shrug at emoji everywhere else likely does here too.
    The merchant's own segment names count as the canonical segments they are mapped to.
    Cached like ``segment_history``."""

    def compute() -> dict[str, tuple[float, float]]:
        records = merchant_history(store, merchant_id)
        canonical = {
            name: store.segment_of(merchant_id, name) for name in {r.segment for r in records}
        }
        elsewhere: defaultdict[str, list[TemplateRecord]] = defaultdict(list)
        for record in records:
            if canonical[record.segment] != segment:
                elsewhere[canonical[record.segment]].append(record)
        deviations: defaultdict[str, list[tuple[float, float]]] = defaultdict(list)
        for other, theirs in sorted(elsewhere.items()):
            typical = segment_lifts(store, other)
            for feature, mine in trusted_lifts(store, theirs).items():
                if feature in typical:
                    deviations[feature].append(
                        (
                            math.log(mine.ratio) - math.log(typical[feature].ratio),
                            log_se(mine) ** 2 + log_se(typical[feature]) ** 2,
                        )
                    )
        return {f: lean(deviations[f], spread) for f in LEARNED}

    return per_data_version(store, "leans", (merchant_id, segment, spread), compute)


def own_history(store: Store, merchant_id: str, segment: str) -> list[TemplateRecord]:
    """The merchant's templates in the segment, out of the segment's scored history; cached
    like ``segment_history`` (every request of a batch for the pair asks)."""

    def compute() -> list[TemplateRecord]:
        _, everyone = segment_history(store, segment)
        return [s.record for s in everyone if s.record.merchant_id == merchant_id]

    return per_data_version(store, "own_history", (merchant_id, segment), compute)


def merchant_history(store: Store, merchant_id: str) -> list[TemplateRecord]:
    """All of a merchant's templates, every segment; cached like ``segment_history`` (its
    lean and its voice both read them)."""
    return per_data_version(
        store, "merchant", merchant_id, lambda: store.templates(merchant_id=merchant_id)
    )


def merchant_voice(
    store: Store, merchant_id: str, segment: str, limit: int = 10
) -> tuple[str, ...]:
    """The merchant's ``limit`` best-converting texts in any segment: its voice, from which
    the writer may take plain sentences when a message to ``segment`` needs room. A text
    sent to another segment keeps only the sentences that say nothing this segment's texts
    avoid (``foreign_terms``): "You left something behind" was written for cart
    abandoners, and a new customer left nothing behind. Cached like ``segment_history``."""

    def compute() -> tuple[str, ...]:
        records = sorted(
            merchant_history(store, merchant_id),
            key=lambda r: r.conversions / r.sends if r.sends else 0.0,
            reverse=True,
        )
        voice = []
        for record in records[:limit]:
            if store.segment_of(merchant_id, record.segment) == segment:
                voice.append(record.text)
                continue
            # Read only when a text of another segment asks: it reads every segment's history.
            foreign = foreign_terms(store, segment)
            if kept := [s for s in sentences(record.text) if not terms_of(s) & foreign]:
                voice.append(" ".join(kept))
        return tuple(voice)

    return per_data_version(store, "voice", (merchant_id, segment, limit), compute)


_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def terms_of(text: str) -> frozenset[str]:
    """A text's words, lowercased, and its pairs of neighbouring words: "miss" alone is as
    much "Don't miss our sale" as "We miss you"; "miss you" is not."""
    words = _WORD.findall(text.lower())
    return frozenset([*words, *map(" ".join, pairwise(words))])


def segment_vocabulary(store: Store, segment: str) -> tuple[int, Counter[str]]:
    """How many templates a segment holds, and how many of them use each term
    (``terms_of``). Cached like ``segment_history``, which it reads."""

    def compute() -> tuple[int, Counter[str]]:
        _, scored = segment_history(store, segment)
        # Counter counts an iterable in C, not a term at a time in Python.
        return len(scored), Counter(chain.from_iterable(terms_of(s.record.text) for s in scored))

    return per_data_version(store, "vocabulary", segment, compute)


AVOIDED = 0.25
"""A segment avoids a term its templates use at under this share of the rate the store's
templates do (one added to both counts: a term never used here is avoided once about three
uses were expected, where chance alone leaves it out about one time in twenty)."""


def foreign_terms(store: Store, segment: str) -> frozenset[str]:
    """Words and word pairs of other audiences, as the store's own texts show them: those
    ``segment``'s templates avoid (``AVOIDED``): "miss you" anywhere but among lapsed
    customers, "welcome" anywhere but among new ones. A store too small to expect a term
    a few times in the segment avoids nothing. Cached like ``segment_history``."""

    def compute() -> frozenset[str]:
        size, here = segment_vocabulary(store, segment)
        total, everywhere = 0, Counter[str]()
        for other in store.learning_segments():
            templates, used = segment_vocabulary(store, other)
            total += templates
            everywhere.update(used)
        share = size / max(total, 1)
        return frozenset(
            term
            for term, uses in everywhere.items()
            if here[term] + 1 < AVOIDED * (uses * share + 1)
        )

    return per_data_version(store, "foreign_terms", segment, compute)


_VAGUE_PRIOR = (0.0, 1.0)
"""A log lift's prior when a half of a history is to speak for itself."""


def campaign_rows(
    records: Sequence[TemplateRecord], features: Sequence[str]
) -> list[list[tuple[int, int, list[bool]]]]:
    """Templates as ``tools.statistics.joint_lifts`` reads them: by campaign, each as its
    conversions, sends and whether it has each of ``features``."""
    campaigns: defaultdict[tuple[object, ...], list[tuple[int, int, list[bool]]]] = defaultdict(
        list
    )
    for record in records:
        has = features_of(record)
        campaigns[campaign_key(record)].append(
            (record.conversions, record.sends, [has[f] for f in features])
        )
    return list(campaigns.values())


def joint_segment_lifts(store: Store, segment: str) -> dict[str, float]:
    """Each learned feature's log lift over a whole segment with all features read at once
    within campaigns (``tools.statistics.joint_lifts``): a feature is credited for itself,
    not for what its templates also did. For questions about the segment's history (which
    element lifts most); the writers' evidence is ``segment_lifts``. Cached like
    ``segment_history``."""

    def compute() -> dict[str, float]:
        records = [s.record for s in segment_history(store, segment)[1]]
        found = joint_lifts(campaign_rows(records, LEARNED), [_VAGUE_PRIOR] * len(LEARNED))
        return {f: log_lift for f, (log_lift, _) in zip(LEARNED, found, strict=True)}

    return per_data_version(store, "joint_lifts", segment, compute)


def alternate_halves(
    records: Sequence[TemplateRecord],
) -> tuple[list[TemplateRecord], list[TemplateRecord]]:
    """A history split into two by alternate campaigns (every template stays with its A/B
    siblings): two readings of the same thing, whose difference is error alone."""
    keys = [campaign_key(r) for r in records]
    side = {c: i % 2 for i, c in enumerate(sorted(set(keys), key=repr))}
    halves: tuple[list[TemplateRecord], list[TemplateRecord]] = ([], [])
    for record, key in zip(records, keys, strict=True):
        halves[side[key]].append(record)
    return halves


def segment_dispersion(store: Store) -> float:
    """How much more a segment's feature lifts, read one feature at a time within
    campaigns (``feature_lifts``), err than their stated variance: every segment's history
    (``segment_history``, which the requests read too, so the store is not copied again) is
    read again in two halves of alternate campaigns, and ``tools.statistics.dispersion``
    compares the halves. Both learning modes start from these lifts, and evidence decides a
    feature by how sure they are, so this is what keeps a few hundred conversions from
    overruling best practice on an interval too narrow to be true. Cached like
    ``segment_history``."""

    def compute() -> float:
        halves = []
        for segment in store.learning_segments():
            records = [s.record for s in segment_history(store, segment)[1]]
            first, second = (feature_lifts(half) for half in alternate_halves(records))
            halves += [
                (
                    (math.log(first[f].ratio), log_se(first[f]) ** 2),
                    (math.log(second[f].ratio), log_se(second[f]) ** 2),
                )
                for f in first
                if f in second
            ]
        return dispersion(halves)

    return per_data_version(store, "segment_dispersion", None, compute)


def own_dispersion(store: Store, min_campaigns: int = 4, histories: int = 400) -> float:
    """How much more a merchant's own lifts in one segment, read all features at once
    (``tools.statistics.joint_lifts``), err than their stated variance: the store's
    merchant x segment histories of ``min_campaigns`` or more campaigns (the ``histories``
    richest: plenty for one factor, and a big store's first request after an import stays
    quick) are each split into alternate campaigns by send date and read half by half, and
    ``tools.statistics.dispersion`` compares the halves. Cached like ``segment_history``."""

    def compute() -> float:
        by_pair: defaultdict[tuple[str, str], list[TemplateRecord]] = defaultdict(list)
        for record in store.templates():
            by_pair[(record.merchant_id, record.segment)].append(record)
        split = []
        for pair, records in by_pair.items():
            campaigns = len({campaign_key(r) for r in records})
            if campaigns >= min_campaigns:
                split.append((-campaigns, pair, records))
        halves = []
        for _, _, records in sorted(split, key=lambda s: s[:2])[:histories]:
            first, second = (
                joint_lifts(campaign_rows(half, LEARNED), [_VAGUE_PRIOR] * len(LEARNED))
                for half in alternate_halves(records)
            )
            # Only what both halves measured: a feature a half never varied is the prior.
            halves += [
                (a, b)
                for a, b in zip(first, second, strict=True)
                if max(a[1], b[1]) < _VAGUE_PRIOR[1] / 2
            ]
        return dispersion(halves)

    return per_data_version(store, "own_dispersion", (min_campaigns, histories), compute)
