"""The arena benchmark: honest (the agent sees no hidden variable and no held-out template),
reproducible, and scored against an oracle that is never worse than the original."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from arena.hidden import HIDDEN_TABLES, hidden_path, load_hidden
from arena.runner import HEAD_TO_HEAD, prepare, run_arena
from arena.tasks import draw_tasks, oracle_pool
from crmagent.arena_agent import CRMAgent
from tests.integration.cli import crmagent
from tools.domain import CampaignRequest, GenerationResult


class Spy(CRMAgent):
    """CRMAgent, recording everything the arena hands it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[list[dict[str, Any]], Path, dict[str, Any]]] = []

    def generate(
        self, requests: Sequence[dict[str, Any]], home: Path, settings: dict[str, Any]
    ) -> list[GenerationResult | str]:
        self.seen.append(([dict(r) for r in requests], home, dict(settings)))
        return super().generate(requests, home, settings)


def test_agent_sees_no_hidden_variable_and_no_held_out_template(tmp_path: Path) -> None:
    spy = Spy()
    run = run_arena(
        tmp_path,
        5,
        spy,
        tasks=15,
        questions=6,
        cases=6,
        variants=["original", "rules_only", "full"],
        best_tasks=4,
    )
    world = prepare(tmp_path, 5)
    hidden = load_hidden(hidden_path(world))
    latent = {w for s in hidden.segments.values() for w in s.weights.values()}
    latent |= {v for m in hidden.merchants.values() for v in (m.base_click, m.base_conv)}
    for requests, home, settings in spy.seen:
        # The tasks against good originals have a view of their own; consistency reruns
        # `full` with other `drafts` settings.
        assert home in {tmp_path / "agent-view", tmp_path / "agent-view-best"}
        assert set(settings) <= {"modes", "drafts"}
        for request in requests:
            CampaignRequest.model_validate(request)  # the contract's fields and nothing more
            numbers = {v for v in request["voucher"].values() if isinstance(v, float)}
            assert not numbers & latent
    view = sqlite3.connect(tmp_path / "agent-view" / "crm.sqlite")
    tables = {r[0] for r in view.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    visible = {r[0] for r in view.execute("SELECT campaign_id FROM templates")}
    view.close()
    assert not tables & set(HIDDEN_TABLES)
    hidden_campaigns = {t.task_id.split("-", 1)[1] for t in run.scores["full"]}
    assert not visible & hidden_campaigns
    best_view = sqlite3.connect(tmp_path / "agent-view-best" / "crm.sqlite")
    best_visible = {r[0] for r in best_view.execute("SELECT campaign_id FROM templates")}
    best_view.close()
    best_campaigns = {t.task_id.split("-", 1)[1] for t in run.scores["good_originals:full"]}
    assert len(best_campaigns) == 4 and not best_visible & best_campaigns
    assert run.figures["rule_pass_rate"] == 1.0 and run.figures["offer_fact_accuracy"] == 1.0


def test_oracle_pool_holds_the_original_so_the_oracle_never_loses(tmp_path: Path) -> None:
    world = prepare(tmp_path, 6)
    hidden = load_hidden(hidden_path(world))
    tasks = draw_tasks(world / "crm.sqlite", hidden, 6, 12, 3, 3, tmp_path / "view")
    import random

    for task in tasks.marketer:
        original = (task.original_subject, task.original_body)
        assert original in oracle_pool(task, [original], random.Random(1), 20)
    run = run_arena(
        tmp_path,
        6,
        CRMAgent(),
        tasks=12,
        questions=3,
        cases=3,
        variants=["original", "full"],
        pool_size=50,
        best_tasks=3,
    )
    for score in run.scores["full"] + run.scores["good_originals:full"]:
        assert score.oracle >= score.original
    assert {s.captured for s in run.scores["original"]} <= {0.0, None}
    assert run.figures["captured_above_1"] is not None


def test_figures_are_reproducible_for_a_seed(tmp_path: Path) -> None:
    def figures(folder: Path) -> dict[str, Any]:
        run = run_arena(
            folder,
            4,
            CRMAgent(),
            tasks=12,
            questions=6,
            cases=6,
            variants=["original", "full"],
            pool_size=50,
            best_tasks=4,
        )
        return {k: v for k, v in run.figures.items() if k != "seconds"}

    assert figures(tmp_path / "a") == figures(tmp_path / "b")


def test_cli_prints_the_leaderboard_json(tmp_path: Path) -> None:
    result = crmagent(
        "arena",
        "run",
        "--seed",
        "7",
        "--tasks",
        "12",
        "--best-tasks",
        "4",
        "--json",
        "--home",
        str(tmp_path),
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    for key in (
        "seed",
        "tasks",
        "mean_lift",
        "median_lift",
        "captured",
        "improved_share",
        "rule_pass_rate",
        "offer_fact_accuracy",
        "modes",
        "per_mode",
        "variants",
    ):
        assert key in figures
    assert set(figures["variants"]) == {
        "original",
        "rules_only",
        "retrieval_only",
        "group_only",
        "full",
    }
    assert figures["variants"]["original"]["mean_lift"] == 0


@pytest.mark.parametrize("variant", ["nonsense"])
def test_unknown_variant_is_refused(tmp_path: Path, variant: str) -> None:
    with pytest.raises(ValueError, match="unknown variant"):
        run_arena(tmp_path, 4, CRMAgent(), tasks=3, questions=0, cases=0, variants=[variant])


def test_a_sweep_pools_the_head_to_heads_of_every_world(tmp_path: Path) -> None:
    result = crmagent(
        "arena",
        "sweep",
        "--seeds",
        "4-5",
        "--tasks",
        "10",
        "--best-tasks",
        "3",
        "--json",
        "--home",
        str(tmp_path),
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["seeds"] == [4, 5] and set(figures["per_seed"]) == {"4", "5"}
    scopes = [(scope, name) for scope in HEAD_TO_HEAD for name in figures[scope]]
    assert ("full_beats_all_tasks", "group_only") in scopes
    for scope, name in scopes:
        pooled = figures[scope][name]
        # Every seed's tasks where the variant ran its own mode (or all its tasks), and
        # nothing else.
        per_seed = [f[scope][name] for f in figures["per_seed"].values() if name in f[scope]]
        assert pooled["tasks"] == sum(d["tasks"] for d in per_seed)
        assert pooled["differing_tasks"] == sum(d["differing_tasks"] for d in per_seed)
        assert pooled["verdict"] in {"ahead", "level", "behind"}
        low, high = pooled["difference_interval"]
        assert low <= pooled["full_mean_lift"] - pooled["variant_mean_lift"] <= high
    # A seed's world is the one `crmagent arena run --seed N` keeps: built once.
    assert (tmp_path / "arena-runs" / "seed-4" / "world" / "crm.sqlite").exists()
    refused = crmagent("arena", "sweep", "--seeds", "seven", timeout=600)
    assert refused.returncode == 2 and "give seeds as 7-16 or 1,2,3" in refused.stderr


@pytest.mark.parametrize("seed", [2, 5])
def test_a_rich_merchant_task_keeps_the_rich_history_it_is_named_for(
    tmp_path: Path, seed: int
) -> None:
    """A cold-start merchant's history is held out whole: it is never the merchant of a
    rewrite_rich task, which would then have nothing of its own to learn from."""
    world = prepare(tmp_path, seed)
    hidden = load_hidden(hidden_path(world))
    tasks = draw_tasks(world / "crm.sqlite", hidden, seed, 60, 6, 6, tmp_path / "view")
    rich = [t for t in tasks.marketer if t.kind == "rewrite_rich"]
    assert rich and not {t.request["merchant_id"] for t in rich} & tasks.cold_merchants
    view = sqlite3.connect(tmp_path / "view" / "crm.sqlite")
    for task in rich:
        (own,) = view.execute(
            "SELECT COUNT(*) FROM templates WHERE merchant_id = ? AND segment = ?",
            (task.request["merchant_id"], task.request["segment"]),
        ).fetchone()
        assert own == task.own_templates >= 9, task.task_id
    view.close()
