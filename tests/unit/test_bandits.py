"""The bandit's figures on arms whose answer a reader can check by hand."""

from __future__ import annotations

import pytest

from tools.bandits import Arm, analyse, plan, split


def test_twice_the_conversions_on_the_same_sends_is_almost_surely_best() -> None:
    # 2.0% vs 4.0% on 1,000 sends each: the difference is 2.6 standard errors.
    reading = analyse([Arm("control", 1000, 20), Arm("variant-1", 1000, 40)], seed=1)
    control, variant = reading.arms
    assert variant.p_best > 0.99 and control.p_best < 0.01
    assert reading.leader == 1
    # What shipping the control would cost is about the 2-point gap; the variant, ~nothing.
    assert 0.017 < control.expected_loss < 0.022 and variant.expected_loss < 0.0002
    # The 90% interval of 40/1000 (Beta(41, 961)): about 3.1% to 5.1%.
    assert 0.029 < variant.rate_low < 0.033 and 0.049 < variant.rate_high < 0.053


def test_equal_arms_are_a_coin_flip_and_never_stop_early() -> None:
    reading = analyse([Arm("control", 1000, 30), Arm("variant-1", 1000, 30)], seed=2)
    assert all(abs(arm.p_best - 0.5) < 0.02 for arm in reading.arms)
    assert not reading.stop and "keep testing" in reading.reason


def test_the_same_seed_gives_the_same_figures() -> None:
    arms = [Arm("control", 1200, 25), Arm("variant-1", 1300, 31), Arm("variant-2", 900, 22)]
    assert analyse(arms, seed=7) == analyse(arms, seed=7)
    assert analyse(arms, seed=7) != analyse(arms, seed=8)


def test_the_split_sums_to_the_sends_and_keeps_the_controls_floor() -> None:
    reading = analyse([Arm("control", 1000, 20), Arm("variant-1", 1000, 40)], seed=1)
    assert split(reading, 1000) == [100, 900]
    even = analyse([Arm("control", 1000, 30), Arm("variant-1", 1000, 30)], seed=1)
    shares = split(even, 1001)
    assert sum(shares) == 1001 and abs(shares[0] - 500) < 25  # a leading control keeps more
    three = analyse(
        [Arm("control", 500, 5), Arm("variant-1", 500, 10), Arm("variant-2", 500, 11)], seed=3
    )
    parts = split(three, 333, floor=0.2)
    assert sum(parts) == 333 and parts[0] >= round(0.2 * 333)


def test_stop_when_the_leader_costs_little_and_has_its_sends() -> None:
    # 1% vs 3% on 10,000 sends each: nothing left to learn.
    done = analyse([Arm("control", 10_000, 100), Arm("variant-1", 10_000, 300)], seed=1)
    assert done.stop and done.leader == 1 and "ship variant-1" in done.reason
    # The same rates on 500 sends each: too few sends to judge, whatever the posterior says.
    early = analyse([Arm("control", 500, 5), Arm("variant-1", 500, 15)], seed=1)
    assert not early.stop and "fewer than 1,000 sends" in early.reason
    # 2.0% vs 2.2% on 5,000 each: the variant leads (P(best) ~76%) and choosing it risks
    # about 0.04 point, under the 0.1 point bound: stop, the rest is not worth the sends.
    # A bound ten times stricter keeps the race going.
    close = [Arm("control", 5000, 100), Arm("variant-1", 5000, 110)]
    assert analyse(close, seed=1).stop
    assert not analyse(close, seed=1, threshold=0.0001).stop
    # An arm Thompson sampling starved (300 sends, 0.7%) does not hold the test open: the
    # leader and the control have their sends, and the starved arm's doubt is in the loss.
    starved = [Arm("control", 2000, 20), Arm("variant-1", 12_000, 480), Arm("variant-2", 300, 2)]
    assert analyse(starved, seed=1).stop
    # The leader itself must have its sends.
    assert not analyse([Arm("control", 5000, 50), Arm("variant-1", 600, 30)], seed=1).stop


def test_plan_splits_while_testing_and_sends_all_to_the_leader_once_decided() -> None:
    running = analyse([Arm("control", 500, 5), Arm("variant-1", 500, 8)], seed=2)
    assert plan(running, 1000) == split(running, 1000)
    done = analyse([Arm("control", 10_000, 100), Arm("variant-1", 10_000, 300)], seed=1)
    assert plan(done, 1000) == [0, 1000]


def test_an_arm_that_drives_unsubscribes_up_is_stopped() -> None:
    control = Arm("control", 10_000, 100, unsubscribes=10)  # 0.10%
    harsh = Arm("variant-1", 10_000, 200, unsubscribes=60)  # 0.60%: 0.5 point more
    mild = Arm("variant-2", 10_000, 150, unsubscribes=25)  # 0.25%: under the 0.2 point bound
    reading = analyse([control, harsh, mild], seed=1)
    assert reading.arms[1].guardrail_stopped and (reading.arms[1].p_unsubscribes_over or 0) > 0.99
    assert not reading.arms[2].guardrail_stopped
    assert reading.arms[0].p_unsubscribes_over is None
    # The stopped arm converts best, but is out of the race: no P(best), no sends.
    assert reading.arms[1].p_best == 0 and reading.leader == 2
    assert split(reading, 1000)[1] == 0
    # Without the control's count there is nothing to compare with: no guardrail.
    blind = analyse([Arm("control", 10_000, 100), harsh], seed=1)
    assert not blind.arms[1].guardrail_stopped and blind.arms[1].p_unsubscribes_over is None


def test_revenue_per_send_prefers_the_bigger_baskets_at_equal_conversions() -> None:
    arms = [
        Arm("control", 2000, 60, revenue=60 * 40.0),
        Arm("variant-1", 2000, 60, revenue=60 * 80.0),
    ]
    by_revenue = analyse(arms, objective="revenue", seed=1)
    assert by_revenue.arms[1].p_best > 0.99
    # 3% converting at about 80 a basket: about 2.4 per send.
    assert 2.0 < (by_revenue.arms[1].value_per_send or 0) < 2.9
    # The conversion objective sees two equal arms.
    assert abs(analyse(arms, seed=1).arms[1].p_best - 0.5) < 0.02


def test_bad_arms_are_refused_with_the_arm_named() -> None:
    with pytest.raises(ValueError, match=r"variant-1: conversions \(40\) > sends \(12\)"):
        analyse([Arm("control", 10, 1), Arm("variant-1", 12, 40)])
    with pytest.raises(ValueError, match="two arms"):
        analyse([Arm("control", 10, 1)])
    with pytest.raises(ValueError, match="variant-1: no revenue"):
        analyse([Arm("control", 10, 1, revenue=5.0), Arm("variant-1", 10, 1)], objective="revenue")
