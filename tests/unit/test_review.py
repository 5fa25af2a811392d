"""Human approval from Python with a checkpointer: approve, edit (re-checked by the rules),
reject (regenerates once); and checkpointed batches that resume instead of redoing."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from arena.world import build_world
from crmagent.api import generate_batch
from crmagent.batch import run_batch
from graph import builder
from graph.checkpoint import serializer
from graph.context import Context
from tests.requests import REQUEST
from tools.crm.store import Store
from tools.domain import GenerationResult


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("review")
    build_world(folder, seed=1)
    return folder


def start(home: Path, thread: str) -> tuple[Any, dict[str, Any], Context, dict[str, Any]]:
    graph = builder.compile(checkpointer=InMemorySaver(serde=serializer()))
    config = {"configurable": {"thread_id": thread}}
    # Retrieval needs the vector index; rules mode keeps this test free of it.
    context = Context(home=str(home), require_approval=True, modes=["rules"])
    return graph, config, context, graph.invoke(REQUEST, config, context=context)


def test_approve(home: Path) -> None:
    graph, config, context, paused = start(home, "a")
    draft = paused["__interrupt__"][0].value["template"]["body"]
    done = graph.invoke(Command(resume={"action": "approve"}), config, context=context)
    assert done["review"].status == "approved" and done["template"].body == draft


def test_edit_is_rechecked_by_the_rules(home: Path) -> None:
    graph, config, context, _ = start(home, "e")
    refused = graph.invoke(
        Command(resume={"action": "edit", "body": "Take 30% off! {link}"}), config, context=context
    )
    assert "__interrupt__" in refused  # asked again
    assert graph.get_state(config).values["review"].reason.startswith("states 30%")
    body = "Take 20% off the Trail runner X with BACK20: {link}"
    done = graph.invoke(Command(resume={"action": "edit", "body": body}), config, context=context)
    assert done["review"].status == "edited"
    # Repaired, and said so: the sender named first and the opt-out added, as carriers want.
    assert done["template"].body == f"Meadow House: {body} Reply STOP to opt out."
    assert "body: SMS opt-out added" in done["rule_report"].repairs


def test_reject_regenerates_once(home: Path) -> None:
    graph, config, context, paused = start(home, "r")
    first = paused["__interrupt__"][0].value["template"]["body"]
    again = graph.invoke(
        Command(resume={"action": "reject", "reason": "too pushy"}), config, context=context
    )
    second = again["__interrupt__"][0].value["template"]["body"]
    assert second != first
    done = graph.invoke(
        Command(resume={"action": "reject", "reason": "still no"}), config, context=context
    )
    assert done["review"].status == "rejected" and done["review"].reason == "still no"


def test_bad_resume_names_the_format(home: Path) -> None:
    graph, config, context, _ = start(home, "x")
    with pytest.raises(ValueError, match="resume a review with"):
        graph.invoke(Command(resume="yes please"), config, context=context)


def test_checkpointed_batch_does_not_redo_finished_requests(home: Path) -> None:
    first = generate_batch([REQUEST], home=str(home), modes=["rules"], thread_ids=["job-1"])
    assert isinstance(first[0], GenerationResult)
    # The same thread again returns the stored answer, even for a different payload.
    again = generate_batch(
        [{**REQUEST, "product_name": "Other"}],
        home=str(home),
        modes=["rules"],
        thread_ids=["job-1"],
    )
    assert again == first
    paused = generate_batch(
        [REQUEST], home=str(home), modes=["rules"], require_approval=True, thread_ids=["job-2"]
    )
    assert paused[0].error == "awaiting review"  # type: ignore[union-attr]
    assert (home / "checkpoints.sqlite").exists()


def test_a_batch_run_again_on_new_data_or_settings_answers_afresh(tmp_path: Path) -> None:
    home = tmp_path / "home"
    build_world(home, seed=1)
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps(REQUEST) + "\n")

    def run(**settings: Any) -> dict[str, Any]:
        target.unlink(missing_ok=True)
        run_batch(source, target, context=Context(home=str(home), modes=["rules"], **settings))
        line: dict[str, Any] = json.loads(target.read_text())
        return line

    def threads() -> int:
        with closing(sqlite3.connect(home / "checkpoints.sqlite")) as db:
            (count,) = db.execute("SELECT COUNT(DISTINCT thread_id) FROM checkpoints").fetchone()
            return int(count)

    first = run()
    assert run() == first
    # A written line is the record: the run's checkpoints are gone.
    assert threads() == 0
    # Other settings: this run stops for approval, not with the answer the last one wrote,
    # and keeps its thread for the merchant's decision.
    assert run(require_approval=True)["error"] == "awaiting review"
    assert threads() == 1
    # An import: lapsed customers now convert far better, and the prediction says so.
    with Store(home / "crm.sqlite") as store, store.transaction():
        sent = store.templates(segment="lapsed_90d")[:40]
        store.put_templates(
            [r._replace(template_id=f"{r.template_id}-again", conversions=r.clicks) for r in sent]
        )
    assert run()["scores"]["predicted_cvr"] > first["scores"]["predicted_cvr"]


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
