"""A batch killed between a step's results and the next checkpoint (LangGraph writes its
checkpoints in the background) resumes the request, instead of starting it again on a
state that already holds the step's results."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from arena.world import build_world
from crmagent.api import generate_batch
from tests.requests import REQUEST
from tools.domain import GenerationResult


def test_a_request_killed_after_any_steps_results_resumes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    build_world(home, seed=1, merchants=10)
    request = {**REQUEST, "merchant_id": "m001"}

    def answer(thread: str) -> object:
        (result,) = generate_batch([request], home=str(home), modes=["rules"], thread_ids=[thread])
        return result

    whole = answer("whole")
    assert isinstance(whole, GenerationResult)
    with closing(sqlite3.connect(home / "checkpoints.sqlite")) as db:
        steps = len(db.execute("SELECT 1 FROM checkpoints WHERE thread_id = 'whole'").fetchall())
    # What a kill leaves: a step's results saved, no checkpoint after it (the last: done).
    for step in range(1, steps - 1):
        thread = f"cut-{step}"
        assert answer(thread) == whole
        with closing(sqlite3.connect(home / "checkpoints.sqlite")) as db, db:
            (kept,) = db.execute(
                "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? "
                "ORDER BY checkpoint_id LIMIT 1 OFFSET ?",
                (thread, step),
            ).fetchone()
            for table in ("checkpoints", "writes"):
                db.execute(
                    f"DELETE FROM {table} WHERE thread_id = ? AND checkpoint_id > ?",
                    (thread, kept),
                )
        assert answer(thread) == whole, f"cut after step {step}"
