"""The closed loop on a small world: its figures have the promised shape, the oracle is
never beaten in expected conversions, totals only grow, and a seed repeats itself."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from arena.loop import POLICIES, run_loop
from arena.report import write_report
from arena.runner import run_arena
from crmagent.arena_agent import CRMAgent, thompson
from tests.integration.cli import crmagent


def test_tiny_loop_keeps_its_invariants_and_repeats(tmp_path: Path) -> None:
    first = run_loop(tmp_path / "a", 1, CRMAgent(), thompson, rounds=2, campaigns=2, sends=500)
    again = run_loop(tmp_path / "b", 1, CRMAgent(), thompson, rounds=2, campaigns=2, sends=500)
    assert first["campaigns"] == 2 and set(first["cumulative"]) == set(POLICIES)
    for name in POLICIES:
        values = first["cumulative"][name]
        assert len(values) == 2 and values[0] <= values[1]
    for i in range(2):
        assert all(
            first["expected"]["oracle"][i] >= first["expected"][name][i] - 1e-9
            for name in ("original", "fixed_ab", "loop")
        )
    assert all(r >= -1e-9 for r in first["regret_per_round"])
    first.pop("seconds"), again.pop("seconds")
    assert first == again
    # The loop's sends are in the agent's store, as an import would put them.
    view = sqlite3.connect(tmp_path / "a" / "loop-view" / "crm.sqlite")
    imported = view.execute(
        "SELECT SUM(sends) FROM templates WHERE template_id LIKE 'loop-%'"
    ).fetchone()[0]
    view.close()
    assert imported == 2 * 2 * 500


def test_loop_command_prints_json_and_writes_the_plot(tmp_path: Path) -> None:
    done = crmagent(
        "arena", "loop", "--seed", "1", "--rounds", "2", "--campaigns", "2", "--sends", "300",
        "--json", "--out", tmp_path / "out", "--home", tmp_path / "home",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert Path(figures["plot"]).stat().st_size > 0
    assert json.loads((tmp_path / "out" / "loop.json").read_text())["rounds"] == 2
    bad = crmagent("arena", "loop", "--rewrite", "sometimes", "--home", tmp_path / "home")
    assert bad.returncode != 0 and "rewrite is one of" in bad.stderr


def test_the_arena_report_carries_the_loop_and_its_plot(tmp_path: Path) -> None:
    run = run_arena(
        tmp_path,
        1,
        CRMAgent(),
        tasks=3,
        questions=0,
        cases=0,
        variants=["original", "full"],
        pool_size=20,
        best_tasks=1,
    )
    loop = run_loop(tmp_path, 1, CRMAgent(), thompson, rounds=2, campaigns=2, sends=500)
    markdown, page = write_report(run, tmp_path / "report", loop)
    text = markdown.read_text()
    assert "## The closed loop" in text and "of the oracle's cumulative" in text
    assert "![loop_cumulative](loop_cumulative.png)" in text
    assert (tmp_path / "report" / "loop_cumulative.png").stat().st_size > 10_000
    assert "<h2>The closed loop</h2>" in page.read_text()
    assert "No analyst or compliance questions were asked." in text
