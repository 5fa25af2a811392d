"""The report says, per single-mode variant, whether ``full`` beat it on its own tasks (and
on all tasks, its rules fallback included), and whether the difference is more than the
luck of the draw."""

from __future__ import annotations

import random
import statistics

import pytest

from arena.report import head_to_head
from arena.runner import TaskScore, duel, matched_tasks, paired_interval


def test_head_to_head_names_tasks_lifts_verdict_and_interval() -> None:
    figures = {
        "full_beats": {
            "rules_only": {
                "tasks": 58,
                "variant_mean_lift": 3.0393,
                "full_mean_lift": 3.8892,
                "beats": True,
                "verdict": "ahead",
                "differing_tasks": 57,
                "difference_interval": [0.61, 1.10],
                "text_ratio": 1.2134,
                "text_ratio_interval": [1.15, 1.28],
            },
            "retrieval_only": {
                "tasks": 55,
                "variant_mean_lift": 3.3205,
                "full_mean_lift": 3.3013,
                "beats": False,
                "verdict": "behind",
                "differing_tasks": 16,
                "difference_interval": [-0.1211, 0.0502],
                "text_ratio": 1.004,
                "text_ratio_interval": [0.99, 1.0181],
            },
        },
        "full_beats_all_tasks": {
            "retrieval_only": {
                "tasks": 58,
                "variant_mean_lift": 3.5,
                "full_mean_lift": 3.6,
                "beats": True,
                "verdict": "ahead",
                "differing_tasks": 18,
                "difference_interval": [-0.05, 0.25],
                "text_ratio": 1.01,
                "text_ratio_interval": [0.995, 1.025],
            },
        },
    }
    # rules_only ran its own mode on all its tasks: the two scopes are one line.
    figures["full_beats_all_tasks"]["rules_only"] = figures["full_beats"]["rules_only"]
    assert head_to_head(figures) == [
        "`full` vs `rules_only` on the 58 tasks where `rules_only` ran its own mode: "
        "mean lift +388.9% vs +303.9% (ahead; different texts on 57 tasks; difference "
        "+85.0 points, 90% interval +61.0 to +110.0; task for task its texts convert 1.213x "
        "as well, 1.150-1.280).",
        "`full` vs `retrieval_only` on the 55 tasks where `retrieval_only` ran its own mode: "
        "mean lift +330.1% vs +332.1% (behind; different texts on 16 tasks; difference "
        "-1.9 points, 90% interval -12.1 to +5.0; task for task its texts convert 1.004x "
        "as well, 0.990-1.018).",
        "`full` vs `retrieval_only` on all 58 tasks, its rules fallback included: "
        "mean lift +360.0% vs +350.0% (ahead; different texts on 18 tasks; difference "
        "+10.0 points, 90% interval -5.0 to +25.0; task for task its texts convert 1.010x "
        "as well, 0.995-1.025).",
    ]
    assert head_to_head({"variants": {}}) == []


def test_the_paired_interval_holds_the_mean_and_spans_zero_only_for_noise() -> None:
    rng = random.Random(3)
    steady = [0.2 + rng.gauss(0, 0.05) for _ in range(40)]
    low, high = paired_interval(steady, random.Random(1))
    assert 0 < low < statistics.fmean(steady) < high
    noise = [rng.gauss(0, 1) for _ in range(40)]
    low, high = paired_interval(noise, random.Random(1))
    assert low < 0 < high
    ties = [0.0] * 39 + [0.4]  # the same text on all but one task
    assert paired_interval(ties, random.Random(1))[0] == 0.0
    assert paired_interval([], random.Random(1)) == (0.0, 0.0)
    assert paired_interval(noise, random.Random(5)) == paired_interval(noise, random.Random(5))


def _score(task: int, new: float, mode: str = "group") -> TaskScore:
    return TaskScore(
        f"t{task}", "rewrite_rich", "vip", 12, mode, 0.01, new, 0.05, True, True, None, None
    )


def test_full_meets_each_variant_where_it_ran_its_mode_and_on_every_task() -> None:
    full = [_score(i, 0.03) for i in range(4)]
    group_only = [
        _score(0, 0.03),
        _score(1, 0.02, "rules"),
        _score(2, 0.03),
        _score(3, 0.01, "rules"),
    ]
    rules_only = [_score(i, 0.02, "rules") for i in range(4)]
    scores = {"full": full, "group_only": group_only, "rules_only": rules_only}

    group = matched_tasks(scores, "group_only", "group")
    own_full, own_group = group["full_beats"]
    assert [s.task_id for s in own_group] == ["t0", "t2"] == [s.task_id for s in own_full]
    assert group["full_beats_all_tasks"] == (full, group_only)
    assert matched_tasks(scores, "rules_only", "rules") == {
        "full_beats": (full, rules_only),
        "full_beats_all_tasks": (full, rules_only),
    }
    never = {"full": full, "group_only": rules_only}
    assert matched_tasks(never, "group_only", "group") == {
        "full_beats_all_tasks": (full, rules_only)
    }


def test_a_tie_is_level_and_beats_nothing() -> None:
    same = [_score(i, 0.02) for i in range(5)]
    tie = duel(same, same, random.Random(1))
    assert (tie["verdict"], tie["beats"], tie["differing_tasks"]) == ("level", False, 0)
    better = [_score(i, 0.02 + 0.001 * (i == 0)) for i in range(5)]
    ahead = duel(better, same, random.Random(1))
    assert (ahead["verdict"], ahead["beats"], ahead["differing_tasks"]) == ("ahead", True, 1)
    assert ahead["full_mean_lift"] == pytest.approx(1.02) and ahead["tasks"] == 5
    # One text of five converts 5% better: the geometric mean ratio is 1.05 ** (1 / 5).
    assert ahead["text_ratio"] == pytest.approx(1.05**0.2, abs=1e-4)
    assert tie["text_ratio"] == 1.0 and tie["text_ratio_interval"] == [1.0, 1.0]
    behind = duel(same, better, random.Random(1))
    assert (behind["verdict"], behind["beats"]) == ("behind", False)
