"""The report says, per single-mode variant, whether ``full`` beat it on its own tasks, and
whether the difference is more than the luck of the draw."""

from __future__ import annotations

import random
import statistics

from arena.report import head_to_head
from arena.runner import paired_interval


def test_head_to_head_names_tasks_lifts_verdict_and_interval() -> None:
    figures = {
        "full_beats": {
            "rules_only": {
                "tasks": 58,
                "variant_mean_lift": 3.0393,
                "full_mean_lift": 3.8892,
                "beats": True,
                "differing_tasks": 57,
                "difference_interval": [0.61, 1.10],
            },
            "retrieval_only": {
                "tasks": 55,
                "variant_mean_lift": 3.3205,
                "full_mean_lift": 3.3013,
                "beats": False,
                "differing_tasks": 16,
                "difference_interval": [-0.1211, 0.0502],
            },
        }
    }
    assert head_to_head(figures) == [
        "`full` vs `rules_only` on the 58 tasks where `rules_only` ran its own mode: "
        "mean lift +388.9% vs +303.9% (ahead; different texts on 57 tasks; difference "
        "+85.0 points, 90% interval +61.0 to +110.0).",
        "`full` vs `retrieval_only` on the 55 tasks where `retrieval_only` ran its own mode: "
        "mean lift +330.1% vs +332.1% (behind; different texts on 16 tasks; difference "
        "-1.9 points, 90% interval -12.1 to +5.0).",
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
