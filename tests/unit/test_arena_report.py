"""The report says, per single-mode variant, whether ``full`` beat it on its own tasks."""

from __future__ import annotations

from arena.report import head_to_head


def test_head_to_head_names_tasks_lifts_and_verdict() -> None:
    figures = {
        "full_beats": {
            "rules_only": {
                "tasks": 58,
                "variant_mean_lift": 3.0393,
                "full_mean_lift": 3.8892,
                "beats": True,
            },
            "retrieval_only": {
                "tasks": 55,
                "variant_mean_lift": 3.3205,
                "full_mean_lift": 3.3013,
                "beats": False,
            },
        }
    }
    assert head_to_head(figures) == [
        "`full` vs `rules_only` on the 58 tasks where `rules_only` ran its own mode: "
        "mean lift +388.9% vs +303.9% (ahead).",
        "`full` vs `retrieval_only` on the 55 tasks where `retrieval_only` ran its own mode: "
        "mean lift +330.1% vs +332.1% (behind).",
    ]
    assert head_to_head({"variants": {}}) == []
