"""A segment's history scored: each template's conversion rate shrunk toward the segment's
prior, and its percentile rank among the segment's templates (all merchants)."""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from itertools import chain, pairwise
from typing import Any, NamedTuple, TypeVar, cast

import numpy as np

from tools.crm.store import WORK, Store, TemplateRecord
from tools.message.features import FEATURES, CopyContext, copy_features
from tools.message.text import sentences
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

T = TypeVar("T")

LEARNED: tuple[str, ...] = tuple(f for f in FEATURES if f != "product_named")
"""Features learned from history (a past template's product is not on record)."""


class ScoredTemplate(NamedTuple):
    """A template with its shrunk conversion rate and rank (a tuple: a segment's history
    builds one per template)."""

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
    conversions = np.array([r.conversions for r in records], dtype=float)
    sends = np.array([r.sends for r in records], dtype=float)
    shrunk = shrink(conversions, sends, prior).tolist()
    ranks = percentile_ranks(shrunk)
    return prior, list(map(ScoredTemplate, records, shrunk, ranks))


_DERIVED: dict[tuple[str, str, str, object], Any] = {}
_CACHE_LOCK = threading.Lock()


def per_data_version(store: Store, kind: str, key: object, compute: Callable[[], T]) -> T:
    """``compute()`` once per store, data version, ``kind`` and ``key``: what is derived from
    the history (scores, lifts, models) is reused by every request until an import changes
    the data, and the entries of an older version are dropped then."""
    url, version = store.url, store.get_meta("data_version") or ""
    full = (url, version, kind, key)
    with _CACHE_LOCK:
        if full in _DERIVED:
            return cast(T, _DERIVED[full])
    value = compute()
    with _CACHE_LOCK:
        for old in [k for k in _DERIVED if k[0] == url and k[1] != version]:
            del _DERIVED[old]
        _DERIVED[full] = value
    return value


def segment_history(store: Store, segment: str) -> tuple[BetaPrior, list[ScoredTemplate]]:
    """All merchants' templates in a segment, scored; cached until the store's data changes."""
    return per_data_version(
        store, "history", segment, lambda: score(store.templates(segment=segment))
    )


_PER_TEXT: dict[tuple[str, str, int], Any] = {}


def per_text(kind: str, record: TemplateRecord, compute: Callable[[], T]) -> T:
    """``compute()`` once per ``kind`` and stored text: what is read from a template's words
    (its copy features, its wordings) is read once, whatever imports come after, until its
    text changes."""
    key = (kind, record.template_id, hash((record.text, record.subject)))
    found = _PER_TEXT.get(key)
    if found is None:
        found = compute()
        WORK["texts"] += 1
        with _CACHE_LOCK:
            if len(_PER_TEXT) > 1_000_000:
                _PER_TEXT.clear()
            _PER_TEXT[key] = found
    return cast(T, found)


def features_of(record: TemplateRecord) -> dict[str, bool]:
    """A stored template's copy features (read once per text: ``per_text``)."""
    return per_text(
        "features",
        record,
        lambda: copy_features(
            record.text, record.subject, CopyContext(record.channel, "", record.code)
        ),
    )


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


class Columns(NamedTuple):
    """Templates as arrays, a row each: what the readings of a history compute on, built
    once per segment and data version (``segment_columns``) so that a reading of a subset
    (a channel, a merchant, a half) costs array operations, not another pass over texts."""

    features: np.ndarray
    """Whether each template has each learned copy feature (``LEARNED``, a column each)."""
    campaigns: np.ndarray
    """Each template's campaign (``campaign_key``) as its rank among the templates'
    campaigns in ``repr`` order."""
    coarse: np.ndarray
    """Each template's channel x voucher type, numbered."""
    conversions: np.ndarray
    """Each template's conversions."""
    sends: np.ndarray
    """Each template's sends."""
    channels: np.ndarray
    """Each template's channel."""
    merchants: np.ndarray
    """Each template's merchant."""

    def take(self, rows: np.ndarray) -> Columns:
        """The rows ``rows`` selects (indices or a mask)."""
        return Columns._make(column[rows] for column in self)

    def halves(self) -> tuple[Columns, Columns]:
        """The rows split into two by alternate campaigns (every template stays with its
        A/B siblings): two readings of the same thing, whose difference is error alone."""
        _, order = np.unique(self.campaigns, return_inverse=True)
        side = order % 2 == 1
        return self.take(~side), self.take(side)


def columns_of(records: Sequence[TemplateRecord]) -> Columns:
    """``records`` as ``Columns`` (each text's features read once: ``features_of``)."""
    keys = [campaign_key(r) for r in records]
    rank = {key: i for i, key in enumerate(sorted(set(keys), key=repr))}
    coarse: dict[tuple[str, str], int] = {}
    return Columns(
        features=np.array(
            [[has[f] for f in LEARNED] for has in map(features_of, records)], dtype=bool
        ).reshape(len(records), len(LEARNED)),
        campaigns=np.array([rank[k] for k in keys], dtype=np.int64),
        coarse=np.array(
            [coarse.setdefault((r.channel, r.voucher_type), len(coarse)) for r in records],
            dtype=np.int64,
        ),
        conversions=np.array([r.conversions for r in records], dtype=float),
        sends=np.array([r.sends for r in records], dtype=float),
        channels=np.array([r.channel for r in records], dtype=object),
        merchants=np.array([r.merchant_id for r in records], dtype=object),
    )


def segment_columns(store: Store, segment: str) -> Columns:
    """``segment_history``'s templates as ``Columns``, row for row; cached like it."""
    return per_data_version(
        store,
        "columns",
        segment,
        lambda: columns_of([s.record for s in segment_history(store, segment)[1]]),
    )


def feature_lifts(columns: Columns) -> dict[str, Lift]:
    """Each learned feature's lift within campaigns (coarser strata when campaigns tested
    too little); features no stratum tested both ways are left out."""
    lifts = stratified_lifts(
        columns.campaigns, columns.coarse, columns.conversions, columns.sends, columns.features
    )
    return {f: lift for f, lift in zip(LEARNED, lifts, strict=True) if lift is not None}


def trusted_lifts(store: Store, columns: Columns) -> dict[str, Lift]:
    """``feature_lifts`` with each interval widened by what the store measured of that
    reading's real error (``segment_dispersion``): one feature read at a time is credited
    with what its A/B siblings also did differently, which its sampling error alone does
    not own up to."""
    factor = segment_dispersion(store)
    return {f: widened(lift, factor) for f, lift in feature_lifts(columns).items()}


def segment_lifts(
    store: Store, segment: str, channel: str | None = None, spread: float = 0.15
) -> dict[str, Lift]:
    """Feature lifts over a whole segment (all merchants), as far as the store trusts them
    (``trusted_lifts``); for one ``channel``, the channel's own lifts shrunk toward the
    segment's by ``spread`` (emoji, say, help in IM and hurt in e-mail). Cached like
    ``segment_history``."""

    def compute() -> dict[str, Lift]:
        columns = segment_columns(store, segment)
        if channel is None:
            return trusted_lifts(store, columns)
        overall = segment_lifts(store, segment)
        mine = trusted_lifts(store, columns.take(columns.channels == channel))
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
            for feature, mine in trusted_lifts(store, columns_of(theirs)).items():
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
        WORK["texts"] += len(scored)
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


def campaign_lifts(
    columns: Columns,
    prior: Sequence[tuple[float, float]],
    scale: float = 1.0,
    features: Sequence[str] = LEARNED,
) -> list[tuple[float, float]]:
    """``tools.statistics.joint_lifts`` of ``features`` within the campaigns ``columns``'
    templates ran in."""
    where = [LEARNED.index(f) for f in features]
    return joint_lifts(
        columns.campaigns,
        columns.conversions,
        columns.sends,
        columns.features[:, where],
        prior,
        scale,
    )


def joint_segment_lifts(store: Store, segment: str) -> dict[str, float]:
    """Each learned feature's log lift over a whole segment with all features read at once
    within campaigns (``tools.statistics.joint_lifts``): a feature is credited for itself,
    not for what its templates also did. For questions about the segment's history (which
    element lifts most); the writers' evidence is ``segment_lifts``. Cached like
    ``segment_history``."""

    def compute() -> dict[str, float]:
        found = campaign_lifts(segment_columns(store, segment), [_VAGUE_PRIOR] * len(LEARNED))
        return {f: log_lift for f, (log_lift, _) in zip(LEARNED, found, strict=True)}

    return per_data_version(store, "joint_lifts", segment, compute)


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
            first, second = map(feature_lifts, segment_columns(store, segment).halves())
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
    ``tools.statistics.dispersion`` compares the halves. The histories are the segments'
    (``segment_history``, which the requests read too, so the store is not read again).
    Cached like ``segment_history``."""

    def compute() -> float:
        split = []
        for segment in store.learning_segments():
            columns = segment_columns(store, segment)
            merchants, of = np.unique(columns.merchants, return_inverse=True)
            order = np.argsort(of, kind="stable")
            bounds = np.cumsum(np.bincount(of, minlength=len(merchants)))[:-1]
            for merchant, rows in zip(merchants, np.split(order, bounds), strict=True):
                campaigns = len(np.unique(columns.campaigns[rows]))
                if campaigns >= min_campaigns:
                    split.append((-campaigns, (str(merchant), segment), columns.take(rows)))
        halves = []
        for _, _, history in sorted(split, key=lambda s: s[:2])[:histories]:
            first, second = (
                campaign_lifts(half, [_VAGUE_PRIOR] * len(LEARNED)) for half in history.halves()
            )
            # Only what both halves measured: a feature a half never varied is the prior.
            halves += [
                (a, b)
                for a, b in zip(first, second, strict=True)
                if max(a[1], b[1]) < _VAGUE_PRIOR[1] / 2
            ]
        return dispersion(halves)

    return per_data_version(store, "own_dispersion", (min_campaigns, histories), compute)
