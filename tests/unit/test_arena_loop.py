"""The closed loop's pure parts: the fixed policies' splits, the running totals and the
headline, and the loop's Thompson split."""

from __future__ import annotations

import pytest

from arena.loop import LoopCampaign, cumulative, fixed_split, summary
from crmagent.arena_agent import thompson


def _campaign(*arms: tuple[str, float]) -> LoopCampaign:
    campaign = LoopCampaign(task=None, pool_best=0.1)  # type: ignore[arg-type]
    campaign.task = type("T", (), {"campaign_id": "c1"})()  # type: ignore[assignment]
    for i, (source, p) in enumerate(arms):
        campaign.add(None, f"text {i}", source, 0, p)
    return campaign


def test_fixed_policies_share_the_round_as_named() -> None:
    campaign = _campaign(("original", 0.01), ("rules_only", 0.03), ("full", 0.02))
    assert fixed_split("original", campaign, 2001) == [2001, 0, 0]
    # Half to the first `full` text, whichever arm it is; the odd send to the control.
    assert fixed_split("fixed_ab", campaign, 2001) == [1001, 0, 1000]
    assert fixed_split("oracle", campaign, 2001) == [0, 2001, 0]
    with pytest.raises(ValueError, match="not a fixed policy"):
        fixed_split("loop", campaign, 10)


def test_an_arm_is_counted_once_per_text() -> None:
    campaign = _campaign(("original", 0.01), ("full", 0.02))
    campaign.add(None, "text 1 ", "retrieval_only", 3, 0.02)
    assert [a.source for a in campaign.arms] == ["original", "full"]
    assert campaign.arms[1].name == "loop-c1-a1"


def test_summary_reads_regret_and_shares() -> None:
    per_round = {
        "original": [10.0, 10.0],
        "fixed_ab": [15.0, 15.0],
        "loop": [14.0, 19.0],
        "oracle": [20.0, 20.0],
        "oracle_pool": [25.0, 25.0],
    }
    found = summary(per_round)
    assert cumulative([1.0, 2.0, 3.0]) == [1.0, 3.0, 6.0]
    assert found["cumulative"]["loop"] == [14.0, 33.0]
    assert found["regret_per_round"] == [6.0, 1.0]
    assert found["loop_share_of_oracle"] == 0.825
    assert found["loop_over_fixed_ab"] == 0.1 and found["loop_ahead_of_fixed_ab"]


def test_thompson_keeps_the_floor_while_testing_and_ships_once_decided() -> None:
    # 2.0%, 2.6% and 2.1% on 1,000 sends each: undecided, the control keeps its floor.
    counts = thompson([(1000, 20), (1000, 26), (1000, 21)], 2000, seed=1)
    assert sum(counts) == 2000 and counts[0] >= 200
    assert counts[1] > counts[0] + counts[2]
    # 1% against 4%: the test may stop, so every send goes to the winner.
    assert thompson([(1000, 10), (1000, 40), (1000, 12)], 2000, seed=1) == [0, 2000, 0]
    assert thompson([(1000, 10), (1000, 40)], 2000, seed=1) == thompson(
        [(1000, 10), (1000, 40)], 2000, seed=1
    )
    # With nothing sent yet, every arm gets a share.
    assert all(n > 0 for n in thompson([(0, 0)] * 3, 300, seed=2))
