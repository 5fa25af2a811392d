"""Contrarian worlds end to end: learning from the world's own history beats best practice
alone, and the command line prints the new figures for a world kind."""

from __future__ import annotations

import json
from pathlib import Path

from arena.runner import run_arena
from crmagent.arena_agent import CRMAgent
from tests.integration.cli import crmagent


def test_rules_only_loses_to_full_on_a_contrarian_world(tmp_path: Path) -> None:
    run = run_arena(
        tmp_path,
        1,
        CRMAgent(),
        tasks=12,
        questions=0,
        cases=0,
        variants=["original", "rules_only", "full"],
        world="contrarian",
        best_tasks=0,
        drafts=(6,),
    )
    duel = run.figures["full_beats_all_tasks"]["rules_only"]
    assert duel["verdict"] == "ahead"
    # Task for task, full's texts convert clearly better than best practice's.
    assert duel["text_ratio"] > 1.2 and duel["text_ratio_interval"][0] > 1.0
    assert run.figures["world"] == "contrarian"
    assert run.figures["rule_pass_rate"] == 1.0 and run.figures["offer_fact_accuracy"] == 1.0


def test_cli_runs_a_contrarian_world_and_prints_good_original_figures(tmp_path: Path) -> None:
    result = crmagent(
        "arena",
        "run",
        "--seed",
        "3",
        "--world",
        "contrarian",
        "--tasks",
        "8",
        "--best-tasks",
        "3",
        "--variant",
        "original",
        "--variant",
        "rules_only",
        "--variant",
        "full",
        "--json",
        "--home",
        str(tmp_path),
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["world"] == "contrarian"
    good = figures["good_originals"]
    assert good["tasks"] == 3
    low, high = good["mean_lift_interval"]
    assert low <= good["mean_lift"] <= high
    assert good["consistency"]["k"] == 3 and 0 <= good["consistency"]["pass_k"] <= 1
    assert figures["consistency"]["tasks"] == figures["tasks"]
    # The contrarian world is kept apart from the seed's default world.
    assert (tmp_path / "arena-runs" / "contrarian" / "seed-3" / "world" / "crm.sqlite").exists()
    assert not (tmp_path / "arena-runs" / "seed-3").exists()
    refused = crmagent("arena", "run", "--world", "upside", "--home", str(tmp_path), timeout=600)
    assert refused.returncode == 2 and "the world is one of default" in refused.stderr
