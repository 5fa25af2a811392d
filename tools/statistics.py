"""Statistics with their uncertainty: empirical-Bayes shrinkage of conversion rates, the
top/bottom gap test, and feature lifts stratified by campaign.

Shrinkage (beta-binomial): a template's rate is pulled toward the segment mean in
proportion to how little it was sent, so 1 conversion in 3 sends never outranks 200 in
5,000. Lifts are Mantel-Haenszel risk ratios within campaigns, so a feature is credited
only for what it did against its own A/B siblings, not for the voucher it happened to run
with; when no campaign tested both arms, the strata widen to channel x voucher type.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

Z90 = 1.6448536269514722
"""Two-sided 90% interval."""


def normal_cdf(x: float) -> float:
    """The standard normal distribution function."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def certainty(confidence: float) -> float:
    """How far a confidence that an effect is real (either way) stands from a coin flip:
    0 at 0.5, 1 at 0 or 1; the weight an estimated effect gets when acted on."""
    return max(0.0, 2 * max(confidence, 1 - confidence) - 1)


@dataclass(frozen=True)
class BetaPrior:
    """A beta prior on conversion rates, as pseudo-conversions and pseudo-failures."""

    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        """The prior mean rate."""
        return self.alpha / (self.alpha + self.beta)


def fit_prior(conversions: Sequence[int], sends: Sequence[int]) -> BetaPrior:
    """Fit a beta prior to many templates' rates by the method of moments.

    The spread of observed rates minus the binomial noise expected at each template's send
    count is the spread of true rates; its mean and variance fix alpha and beta. With too
    little data, or no excess spread, the prior falls back to a weak one at the pooled rate.
    """
    conv = np.asarray(conversions, dtype=float)
    n = np.asarray(sends, dtype=float)
    keep = n > 0
    conv, n = conv[keep], n[keep]
    if conv.size == 0 or n.sum() == 0:
        return BetaPrior(1.0, 99.0)
    pooled = float(conv.sum() / n.sum())
    pooled = min(max(pooled, 1e-4), 0.5)
    weak = BetaPrior(pooled * 20, (1 - pooled) * 20)
    if conv.size < 3:
        return weak
    rates = conv / n
    weights = n / n.sum()
    mean = float(np.sum(weights * rates))
    variance = float(np.sum(weights * (rates - mean) ** 2))
    noise = float(np.sum(weights * mean * (1 - mean) / n))
    excess = variance - noise
    if not 0 < mean < 1 or excess <= 0:  # (a mean of 1 can come out a hair above it)
        return BetaPrior(pooled * 2000, (1 - pooled) * 2000)  # no spread: rates all alike
    strength = mean * (1 - mean) / excess - 1
    strength = min(max(strength, 2.0), 1e6)
    return BetaPrior(mean * strength, (1 - mean) * strength)


Rates = TypeVar("Rates", float, np.ndarray)


def shrink(conversions: Rates, sends: Rates, prior: BetaPrior) -> Rates:
    """The posterior mean conversion rate of a template (or of each, given arrays)."""
    return (conversions + prior.alpha) / (sends + prior.alpha + prior.beta)


def percentile_ranks(values: Sequence[float]) -> list[float]:
    """Each value's percentile rank in [0, 1] (ties share the mean rank)."""
    array = np.asarray(values, dtype=float)
    if array.size <= 1:
        return [1.0] * int(array.size)
    _, tie, counts = np.unique(array, return_inverse=True, return_counts=True)
    first = np.cumsum(counts) - counts  # where each value's run starts in sorted order
    ranks = (first + (counts - 1) / 2)[tie]
    return [float(r) for r in ranks / (array.size - 1)]


@dataclass(frozen=True)
class Gap:
    """Top vs bottom group: how far apart, how surely."""

    top_rate: float
    bottom_rate: float
    ratio: float
    p_value: float
    top_sends: int
    bottom_sends: int

    def meaningful(self, confidence: float, min_ratio: float) -> bool:
        """Whether the top beats the bottom at this confidence by at least this ratio."""
        return self.p_value <= 1 - confidence and self.ratio >= min_ratio


def gap_test(top: Sequence[tuple[int, int]], bottom: Sequence[tuple[int, int]]) -> Gap:
    """One-sided two-proportion z-test of pooled ``(conversions, sends)`` of two groups."""
    c1, n1 = sum(c for c, _ in top), sum(n for _, n in top)
    c0, n0 = sum(c for c, _ in bottom), sum(n for _, n in bottom)
    p1 = c1 / n1 if n1 else 0.0
    p0 = c0 / n0 if n0 else 0.0
    pooled = (c1 + c0) / (n1 + n0) if n1 + n0 else 0.0
    se = math.sqrt(pooled * (1 - pooled) * (1 / max(n1, 1) + 1 / max(n0, 1)))
    p_value = 1 - normal_cdf((p1 - p0) / se) if se > 0 else (0.0 if p1 > p0 else 1.0)
    ratio = (p1 + 1e-9) / (p0 + 1e-9) if p0 > 0 else (math.inf if p1 > 0 else 1.0)
    return Gap(p1, p0, ratio, p_value, n1, n0)


@dataclass(frozen=True)
class Lift:
    """How much more often messages with a feature converted than those without."""

    ratio: float
    ci_low: float
    ci_high: float
    confidence: float
    """Probability that the feature helps (ratio > 1), from the normal approximation."""
    sends_with: int
    sends_without: int

    @property
    def sample_size(self) -> int:
        """Sends behind the estimate."""
        return self.sends_with + self.sends_without


def log_se(lift: Lift) -> float:
    """The standard error of a lift's log ratio."""
    return (math.log(lift.ci_high) - math.log(lift.ci_low)) / (2 * Z90)


def lift_from_log(log_ratio: float, se: float, sends_with: int, sends_without: int) -> Lift:
    """A lift from its log ratio and that log's standard error."""
    return Lift(
        ratio=math.exp(log_ratio),
        ci_low=math.exp(log_ratio - Z90 * se),
        ci_high=math.exp(log_ratio + Z90 * se),
        confidence=normal_cdf(log_ratio / se),
        sends_with=sends_with,
        sends_without=sends_without,
    )


def _numbered(keys: Sequence[Hashable] | np.ndarray) -> np.ndarray:
    """Each key as the number of its first appearance (keys already numbered, an integer
    array, as they are)."""
    if isinstance(keys, np.ndarray) and keys.dtype.kind in "iu":
        return keys
    numbers: dict[Hashable, int] = {}
    return np.fromiter(
        (numbers.setdefault(k, len(numbers)) for k in keys), dtype=np.int64, count=len(keys)
    )


def _mantel_haenszel(
    strata: np.ndarray, conversions: np.ndarray, sends: np.ndarray, has: np.ndarray
) -> Lift | None:
    def per_stratum(values: np.ndarray) -> np.ndarray:
        return np.bincount(strata, weights=values)  # one slot per stratum number

    a, n1 = per_stratum(conversions * has), per_stratum(sends * has)
    c, n0 = per_stratum(conversions * ~has), per_stratum(sends * ~has)
    tested = (n1 > 0) & (n0 > 0)  # a stratum that tested one arm only says nothing
    if not tested.any():
        return None
    a, n1, c, n0 = a[tested], n1[tested], c[tested], n0[tested]
    total = n1 + n0
    numerator = float(np.sum(a * n0 / total))
    denominator = float(np.sum(c * n1 / total))
    p_sum = float(np.sum((n1 * n0 * (a + c) - a * c * total) / total**2))  # Greenland-Robins
    # Half a conversion on each side keeps the ratio finite when an arm never converted.
    if numerator == 0 or denominator == 0:
        numerator, denominator, p_sum = numerator + 0.5, denominator + 0.5, p_sum + 0.5
    se = math.sqrt(max(p_sum / (numerator * denominator), 1e-12))
    return lift_from_log(math.log(numerator / denominator), se, int(n1.sum()), int(n0.sum()))


def stratified_lifts(
    strata: Sequence[Hashable] | np.ndarray,
    coarse_strata: Sequence[Hashable] | np.ndarray,
    conversions: Sequence[int] | np.ndarray,
    sends: Sequence[int] | np.ndarray,
    has: np.ndarray,
    min_sends: int = 500,
) -> list[Lift | None]:
    """Each feature's Mantel-Haenszel lift within ``strata`` (campaigns), or within
    ``coarse_strata`` when campaigns compared too few sends; None when no stratum saw both
    arms. One row per template; ``has`` says, a column per feature, whether it carries it."""
    if not len(conversions):
        return [None] * has.shape[1]
    fine, coarse = _numbered(strata), _numbered(coarse_strata)
    converted, sent = np.asarray(conversions, dtype=float), np.asarray(sends, dtype=float)
    lifts = []
    for column in np.asarray(has, dtype=bool).T:
        lift = _mantel_haenszel(fine, converted, sent, column)
        if lift is None or min(lift.sends_with, lift.sends_without) < min_sends:
            lift = _mantel_haenszel(coarse, converted, sent, column) or lift
        lifts.append(lift)
    return lifts


def pooled_lift(specific: Lift | None, general: Lift | None, spread: float) -> Lift | None:
    """A merchant's own lift shrunk toward its segment's (random effects): the segment's
    estimate counts as evidence about the merchant with its own variance plus ``spread``
    squared, the between-merchant spread of log lifts; the merchant's own data pulls the
    estimate away from the segment in proportion to how much of it there is."""
    if specific is None or general is None:
        return specific or general
    own_var = log_se(specific) ** 2
    prior_var = log_se(general) ** 2 + spread**2
    weight_own, weight_prior = 1 / own_var, 1 / prior_var
    log_ratio = weight_own * math.log(specific.ratio) + weight_prior * math.log(general.ratio)
    return lift_from_log(
        log_ratio / (weight_own + weight_prior),
        math.sqrt(1 / (weight_own + weight_prior)),
        specific.sends_with + general.sends_with,
        specific.sends_without + general.sends_without,
    )


def lean(deviations: Sequence[tuple[float, float]], spread: float) -> tuple[float, float]:
    """How far one merchant's log lifts of a feature typically sit from their segments', and
    the variance of that: the ``(deviation, variance)`` it showed in each other segment,
    pooled and shrunk toward no lean by ``spread``, the between-merchant spread (with no
    other segment: no lean, and ``spread`` squared)."""
    precision = 1 / spread**2 + sum(1 / variance for _, variance in deviations)
    return sum(d / variance for d, variance in deviations) / precision, 1 / precision


def dispersion(halves: Sequence[tuple[tuple[float, float], tuple[float, float]]]) -> float:
    """How many times its stated variance an estimate's real error is, from pairs of
    ``(log lift, variance)`` estimates of the same feature on two halves of one history
    (alternate campaigns): the halves share whatever is true of that history, so their
    difference is error alone, and its mean square over the pairs, against the variances
    the estimates state, is the factor (never below 1: a history is never trusted more than
    its sampling error says). Confounded A/B designs and overdispersed sends push it above 1."""
    observed = sum((a - b) ** 2 for (a, _), (b, _) in halves)
    stated = sum(va + vb for (_, va), (_, vb) in halves)
    return max(1.0, observed / stated) if stated > 0 else 1.0


def shifted(lift: Lift, shift: float, variance: float) -> Lift:
    """A lift moved by an estimated offset of its log, its interval widened by the offset's
    variance (a segment's lift as a prior for one merchant that leans ``shift`` from it)."""
    return lift_from_log(
        math.log(lift.ratio) + shift,
        math.sqrt(log_se(lift) ** 2 + variance),
        lift.sends_with,
        lift.sends_without,
    )


def widened(lift: Lift, factor: float) -> Lift:
    """A lift with its log's variance multiplied by ``factor`` (how many times its stated
    variance an estimator's real error is, ``dispersion``): the same ratio, a wider interval
    and a confidence nearer a coin flip."""
    return lift_from_log(
        math.log(lift.ratio),
        log_se(lift) * math.sqrt(factor),
        lift.sends_with,
        lift.sends_without,
    )


def joint_lifts(
    campaigns: Sequence[Hashable] | np.ndarray,
    conversions: Sequence[int] | np.ndarray,
    sends: Sequence[int] | np.ndarray,
    has: np.ndarray,
    prior: Sequence[tuple[float, float]],
    scale: float = 1.0,
    iterations: int = 50,
) -> list[tuple[float, float]]:
    """Every feature's log lift at once, within campaigns: each campaign's conversions are
    shared out among its templates in proportion to sends x exp(the sum of their features'
    log lifts), so what the campaign's offer and audience did to all its templates cancels
    (a conditional Poisson model). Read one at a time, a feature takes the credit for
    whatever its templates also did differently; read together, each is credited for
    itself only. One row per template, as ``stratified_lifts`` takes them: its campaign,
    conversions, sends and, a column per feature, whether it has it. Each log lift has a
    normal ``prior`` ``(mean, variance)``, and the data's information is divided by
    ``scale`` (how much more the data err than their sampling error says,
    ``dispersion``). Returns each log lift's posterior ``(mean, variance)``, found by
    Newton's method (the log posterior is concave; steps are capped at 1 so that a feature
    one arm of which never converted cannot overshoot). A step costs a few array operations
    over the templates, however many campaigns they ran in."""
    if not prior:
        return []
    width = len(prior)
    mean = np.array([m for m, _ in prior], dtype=float)
    prior_precision = np.diag([1 / v for _, v in prior])
    group = _numbered(campaigns)
    converted = np.asarray(conversions, dtype=float).reshape(len(group))
    sent = np.asarray(sends, dtype=float).reshape(len(group))
    # Only campaigns that can say something (two templates or more, some conversion), each
    # a run of rows once sorted, so that sums within campaigns are one ``reduceat``.
    counts = np.bincount(group)
    useful = (counts > 1) & (np.bincount(group, weights=converted) > 0)
    rows = np.flatnonzero(useful[group]) if len(group) else np.zeros(0, dtype=np.intp)
    rows = rows[np.argsort(group[rows], kind="stable")]
    x = np.asarray(has, dtype=float).reshape(len(group), width)[rows]
    converted, sent, group = converted[rows], sent[rows], group[rows]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(rows) else rows
    owner = np.cumsum(np.r_[0, group[1:] != group[:-1]]) if len(rows) else rows
    totals = np.add.reduceat(converted, starts) if len(rows) else converted
    observed = converted @ x
    beta = mean.copy()
    hessian = prior_precision
    for _ in range(iterations):
        gradient = -prior_precision @ (beta - mean)
        hessian = prior_precision.copy()
        if len(rows):
            weights = sent * np.exp(x @ beta)
            share = weights / np.add.reduceat(weights, starts)[owner]
            centre = np.add.reduceat(share[:, None] * x, starts)
            gradient += (observed - totals @ centre) / scale
            weighted = x * (totals[owner] * share)[:, None]
            hessian += (weighted.T @ x - (centre * totals[:, None]).T @ centre) / scale
        step = np.linalg.solve(hessian, gradient)
        step *= min(1.0, 1 / max(float(np.max(np.abs(step))), 1e-12))
        beta += step
        if float(np.max(np.abs(step))) < 1e-9:
            break
    variances = np.diag(np.linalg.inv(hessian))
    return [(float(b), float(v)) for b, v in zip(beta, variances, strict=True)]
