"""Shrinkage, the top/bottom gap test and stratified lifts behave as a skeptical analyst
expects."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tools.statistics import (
    BetaPrior,
    Lift,
    dispersion,
    fit_prior,
    gap_test,
    joint_lifts,
    lean,
    lift_from_log,
    log_se,
    percentile_ranks,
    pooled_lift,
    shifted,
    shrink,
    stratified_lifts,
)


def stratified_lift(rows: list[tuple[object, object, int, int, bool]]) -> Lift | None:
    """One feature's lift over templates given as (campaign, coarse stratum, conversions,
    sends, has the feature)."""
    strata, coarse, conversions, sends, has = zip(*rows, strict=True) if rows else ((),) * 5
    return stratified_lifts(
        strata, coarse, conversions, sends, np.array(has, dtype=bool).reshape(len(rows), 1)
    )[0]


def test_three_sends_never_beat_five_thousand() -> None:
    prior = fit_prior([40, 35, 50, 45, 30, 200], [2000, 1800, 2500, 2100, 1500, 5000])
    lucky = shrink(1, 3, prior)  # 33% raw
    proven = shrink(200, 5000, prior)  # 4% raw
    assert lucky < proven
    assert abs(lucky - prior.mean) < abs(1 / 3 - prior.mean)


def test_shrinkage_stays_in_unit_interval_and_grows_with_conversions() -> None:
    prior = BetaPrior(2.0, 98.0)
    rates = [shrink(c, 100, prior) for c in range(0, 101)]
    assert all(0 < r < 1 for r in rates)
    assert rates == sorted(rates)


def test_prior_recovers_spread_of_true_rates() -> None:
    sends = [10_000] * 50
    conversions = [int(10_000 * (0.01 if i % 2 else 0.03)) for i in range(50)]
    prior = fit_prior(conversions, sends)
    assert prior.mean == pytest.approx(0.02, rel=0.01)
    # True rates spread 0.01-0.03: a prior of strength ~200, far stronger than noise alone.
    assert 50 < prior.alpha + prior.beta < 1000


def test_prior_without_data_is_weak() -> None:
    assert fit_prior([], []).alpha + fit_prior([], []).beta == 100
    weak = fit_prior([1, 2], [100, 100])
    assert weak.alpha + weak.beta == pytest.approx(20)


def test_percentile_ranks_share_ties() -> None:
    assert percentile_ranks([0.1, 0.3, 0.2, 0.3]) == [
        0.0,
        pytest.approx(5 / 6),
        1 / 3,
        pytest.approx(5 / 6),
    ]
    assert percentile_ranks([0.5]) == [1.0]


def test_gap_needs_both_size_and_certainty() -> None:
    clear = gap_test([(300, 10_000)], [(100, 10_000)])
    assert clear.ratio == pytest.approx(3.0) and clear.p_value < 0.001
    assert clear.meaningful(0.9, 1.15)
    noisy = gap_test([(3, 100)], [(2, 100)])
    assert not noisy.meaningful(0.9, 1.15)


def test_lift_within_campaigns_is_not_fooled_by_the_voucher() -> None:
    # Campaign A (a generous voucher) converts at 10%, campaign B at 1%. The feature doubles
    # conversion in both, but most of its sends happen to be in B: pooled, it looks harmful.
    rows = [
        ("A", "x", 1000, 10_000, False),
        ("A", "x", 200, 1_000, True),
        ("B", "x", 10, 1_000, False),
        ("B", "x", 200, 10_000, True),
    ]
    pooled = (200 + 200) / 11_000 / ((1000 + 10) / 11_000)
    assert pooled < 1
    lift = stratified_lift(rows)
    assert lift is not None and lift.ratio == pytest.approx(2.0, rel=0.02)
    assert lift.ci_low < 2.0 < lift.ci_high and lift.confidence > 0.99
    assert lift.sample_size == 22_000


def test_lift_widens_strata_when_campaigns_tested_one_arm_only() -> None:
    rows = [(f"c{i}", "push", 20 if i % 2 else 10, 1000, bool(i % 2)) for i in range(20)]
    lift = stratified_lift(rows)
    assert lift is not None and lift.ratio == pytest.approx(2.0, rel=0.01)
    assert stratified_lift([("c", "x", 1, 10, True)]) is None
    assert stratified_lift([]) is None


def test_lift_stays_finite_when_an_arm_never_converted() -> None:
    lift = stratified_lift([("c", "x", 0, 500, True), ("c", "x", 10, 500, False)])
    assert lift is not None and math.isfinite(lift.ratio) and lift.ratio < 0.2


def test_a_lean_needs_evidence_from_other_segments() -> None:
    assert lean([], 0.15) == pytest.approx((0.0, 0.15**2))
    # Three segments where the merchant's customers took a feature at half the segment's
    # lift, each measured to +-0.1: the lean is most of the way there, and surer than none.
    shift, variance = lean([(math.log(0.5), 0.01)] * 3, 0.15)
    assert math.log(0.5) < shift < 0.8 * math.log(0.5)
    assert variance < 0.15**2
    # One noisy segment barely moves it.
    noisy_shift, _ = lean([(math.log(0.5), 1.0)], 0.15)
    assert math.log(0.5) * 0.05 < noisy_shift < 0


def test_a_shifted_lift_moves_and_widens() -> None:
    segment = lift_from_log(math.log(1.4), 0.05, 10_000, 10_000)
    prior = shifted(segment, math.log(0.5), 0.02)
    assert prior.ratio == pytest.approx(0.7)
    assert log_se(prior) == pytest.approx(math.sqrt(0.05**2 + 0.02))
    assert prior.sample_size == segment.sample_size
    # With no own evidence the prior is the answer; own evidence pulls toward itself.
    assert pooled_lift(None, prior, 0.0) is prior
    own = lift_from_log(math.log(1.4), 0.1, 2_000, 2_000)
    pooled = pooled_lift(own, prior, 0.0)
    assert pooled is not None and prior.ratio < pooled.ratio < own.ratio


def _campaign(arms: list[tuple[bool, bool]], effects: tuple[float, float], sends: int = 20_000):
    """One campaign's templates, each with features (a, b): 2% of its sends convert times
    exp of the effects of the features it has (expected counts, no noise)."""
    return [
        (round(sends * 0.02 * math.exp(effects[0] * a + effects[1] * b)), sends, (a, b))
        for a, b in arms
    ]


def test_features_read_together_are_each_credited_for_themselves_only() -> None:
    # A merchant's habit: urgency (a) only ever in its texts without the offer (b). The
    # offer doubles conversion; urgency adds 30%. Read alone, urgency looks harmful.
    effects = (math.log(1.3), math.log(2.0))
    campaigns = [_campaign([(True, False), (False, True)], effects) for _ in range(4)]
    campaigns += [_campaign([(False, False), (False, True)], effects)]  # the offer, alone
    observations = [
        (i, 0, conversions, sends, a)
        for i, rows in enumerate(campaigns)
        for conversions, sends, (a, _) in rows
    ]
    alone = stratified_lift(observations)
    assert alone is not None and alone.ratio < 0.8

    def read(
        campaigns: list[list[tuple[int, int, tuple[bool, ...]]]],
        prior: list[tuple[float, float]],
        scale: float = 1.0,
    ) -> list[tuple[float, float]]:
        rows = [(i, *row) for i, rows in enumerate(campaigns) for row in rows]
        has = np.array([x for *_, x in rows], dtype=bool).reshape(len(rows), len(prior))
        return joint_lifts(
            [i for i, *_ in rows],
            [c for _, c, _, _ in rows],
            [n for *_, n, _ in rows],
            has,
            prior,
            scale,
        )

    urgency, offer = read(campaigns, [(0.0, 1.0), (0.0, 1.0)])
    assert math.exp(urgency[0]) == pytest.approx(1.3, rel=0.05)
    assert math.exp(offer[0]) == pytest.approx(2.0, rel=0.05)
    # The rows of a campaign need not be together: a campaign is its key.
    shuffled = [(i, *row) for i, rows in enumerate(campaigns) for row in rows][::-1]
    assert joint_lifts(
        [i for i, *_ in shuffled],
        [c for _, c, _, _ in shuffled],
        [n for *_, n, _ in shuffled],
        np.array([x for *_, x in shuffled], dtype=bool),
        [(0.0, 1.0), (0.0, 1.0)],
    ) == [pytest.approx(urgency), pytest.approx(offer)]
    # A feature no campaign varied is what the prior says; distrusted data moves less.
    (only,) = read([[(10, 500, (True,)), (12, 500, (True,))]], [(0.2, 0.04)])
    assert only == pytest.approx((0.2, 0.04))
    assert read([], [(0.1, 0.01)]) == [pytest.approx((0.1, 0.01))]
    assert (
        joint_lifts([], [], [], np.zeros((0, 0)), []) == []
    )  # a segment that never tested a feature
    prior = [(0.0, 0.01), (math.log(2.0), 0.01)]
    trusted, distrusted = (read(campaigns, prior, scale)[0] for scale in (1.0, 4.0))
    assert 0 < distrusted[0] < trusted[0] and distrusted[1] > trusted[1]


def test_dispersion_is_how_far_halves_of_one_history_disagree_beyond_their_error() -> None:
    steady = (math.log(1.2), 0.01)
    assert dispersion([(steady, steady)] * 5) == 1.0  # never below 1
    assert dispersion([]) == 1.0
    # Halves 0.4 apart on the log scale, each stating a variance of 0.01: the squared
    # difference is 0.16 against 0.02 of stated variance, 8 times it.
    high, low = (math.log(1.2) + 0.2, 0.01), (math.log(1.2) - 0.2, 0.01)
    assert dispersion([(high, low), (low, high)]) == pytest.approx(8.0)
