"""Human approval from Python with a checkpointer: approve, edit (re-checked by the rules),
reject (regenerates once); checkpointed batches that resume instead of redoing (the tests
shared with PostgreSQL, on the SQLite file in the home); and the serializer that brings a
run's state back."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.checkpoint import serializer
from tests.checkpointed import (
    checkpoints,
    home,
    test_a_batch_run_again_on_new_data_or_settings_answers_afresh,
    test_approve,
    test_bad_resume_names_the_format,
    test_checkpointed_batch_does_not_redo_finished_requests,
    test_edit_is_rechecked_by_the_rules,
    test_reject_regenerates_once,
)

__all__ = [
    "checkpoints",
    "home",
    "test_a_batch_run_again_on_new_data_or_settings_answers_afresh",
    "test_approve",
    "test_bad_resume_names_the_format",
    "test_checkpointed_batch_does_not_redo_finished_requests",
    "test_edit_is_rechecked_by_the_rules",
    "test_reject_regenerates_once",
]


def test_every_type_the_state_holds_comes_back_from_a_checkpoint() -> None:
    """A type missing from the serializer's allow-list comes back as a plain dict (with a
    warning), and a resumed review would lose it: every class the state's fields name,
    through their own fields, is allowed."""
    import typing

    from pydantic import BaseModel

    from graph.checkpoint import STATE_TYPES
    from graph.state import State

    seen: set[type] = set()

    def walk(hint: object) -> None:
        for arg in typing.get_args(hint):
            walk(arg)
        origin = typing.get_origin(hint) or hint
        if isinstance(origin, type) and origin.__module__.split(".")[0] in {"tools", "agents"}:
            if origin in seen:
                return
            seen.add(origin)
            if issubclass(origin, BaseModel):
                for field in origin.model_fields.values():
                    walk(field.annotation)
            elif hasattr(origin, "__dataclass_fields__"):
                for sub in typing.get_type_hints(origin).values():
                    walk(sub)

    for hint in typing.get_type_hints(State).values():
        walk(hint)
    assert seen - set(STATE_TYPES) == set()


def test_a_checkpoint_from_before_the_domain_package_still_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Checkpoints written while the domain types lived in ``tools/domain.py`` name them
    ``tools.domain.X``; a review paused then resumes with them as models, not dicts."""
    from tools.domain import TemplateText

    serde = serializer()
    monkeypatch.setattr(TemplateText, "__module__", "tools.domain")
    old = serde.dumps_typed(TemplateText(body="Hi {first_name}"))
    monkeypatch.undo()
    assert TemplateText.__module__ != "tools.domain"
    assert serde.loads_typed(old) == TemplateText(body="Hi {first_name}")


def test_a_checkpoint_url_that_names_no_store_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from graph.checkpoint import durable_graph
    from tools.config import settings

    monkeypatch.delenv("CRMAGENT_CHECKPOINT_URL", raising=False)
    assert settings(tmp_path).checkpoints == f"sqlite:///{tmp_path / 'checkpoints.sqlite'}"
    monkeypatch.setenv("CRMAGENT_CHECKPOINT_URL", "mysql://db/checkpoints")
    with pytest.raises(ValueError, match="set CRMAGENT_CHECKPOINT_URL to 'postgresql://"):
        durable_graph(tmp_path)
