"""The checkpointed runs of ``tests/checkpointed.py`` on PostgreSQL
(``CRMAGENT_CHECKPOINT_URL``): reviews resumed by another graph and in another process,
batches that resume and forget; and two graphs on one database that see each other's
threads, as workers on several machines do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langgraph.types import Command

from graph.checkpoint import durable_graph
from tests.checkpointed import (
    home,
    start,
    test_a_batch_run_again_on_new_data_or_settings_answers_afresh,
    test_a_review_resumes_in_another_process,
    test_approve,
    test_bad_resume_names_the_format,
    test_checkpointed_batch_does_not_redo_finished_requests,
    test_edit_is_rechecked_by_the_rules,
    test_reject_regenerates_once,
    threads,
)

__all__ = [
    "home",
    "test_a_batch_run_again_on_new_data_or_settings_answers_afresh",
    "test_a_review_resumes_in_another_process",
    "test_approve",
    "test_bad_resume_names_the_format",
    "test_checkpointed_batch_does_not_redo_finished_requests",
    "test_edit_is_rechecked_by_the_rules",
    "test_reject_regenerates_once",
]


@pytest.fixture
def checkpoints(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new PostgreSQL database as the checkpoint store, named as SQLAlchemy names it."""
    monkeypatch.setenv("CRMAGENT_CHECKPOINT_URL", postgres_url)
    yield postgres_url


def test_a_review_paused_on_one_home_resumes_from_another(
    checkpoints: str, home: Path, tmp_path: Path
) -> None:
    """Another home (another machine's) on the same database finds the paused review and
    finishes it; nothing lands in a SQLite file."""
    _, config, context, paused = start(home, "shared-review")
    draft = paused["__interrupt__"][0].value["template"]["body"]
    other = tmp_path / "other"
    resumer = durable_graph(other)
    assert resumer.get_state(config).next == ("review",)
    done = resumer.invoke(Command(resume={"action": "approve"}), config, context=context)
    assert done["review"].status == "approved" and done["template"].body == draft
    assert "shared-review" in threads(other)
    assert not (home / "checkpoints.sqlite").exists() and not other.exists()
