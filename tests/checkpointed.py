"""Runs that keep their state in the checkpoint store, the same tests on each store: human
review resumed (approve, edit re-checked by the rules, reject regenerating once), batches
that resume instead of redoing and forget what they wrote, a review resumed in another
process. ``tests/unit/test_review.py`` and ``tests/integration/test_cli_graph.py`` run them on
the SQLite file in the home (with the ``checkpoints`` fixture here),
``tests/integration/test_checkpoints_postgres.py`` on PostgreSQL (with a ``checkpoints`` of its
own, which points ``CRMAGENT_CHECKPOINT_URL`` at a database)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph.types import Command

from arena.world import build_world
from crmagent.api import generate_batch
from crmagent.batch import run_batch
from graph.checkpoint import checkpointer, durable_graph
from graph.context import Context
from tests.requests import REQUEST
from tools.crm.store import Store
from tools.domain import GenerationResult

on_each_store = pytest.mark.usefixtures("checkpoints")
"""A test of the checkpoint store the importing module's ``checkpoints`` fixture names."""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seed-1 world for the module's runs."""
    folder = tmp_path_factory.mktemp("review")
    build_world(folder, seed=1)
    return folder


@pytest.fixture
def checkpoints(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The default store: the SQLite file in the home."""
    monkeypatch.delenv("CRMAGENT_CHECKPOINT_URL", raising=False)
    yield


def threads(home: Path) -> set[str]:
    """The threads the home's checkpoint store holds."""
    return {c.config["configurable"]["thread_id"] for c in checkpointer(home).list(None)}


def start(home: Path, thread: str) -> tuple[Any, dict[str, Any], Context, dict[str, Any]]:
    graph = durable_graph(home)
    config = {"configurable": {"thread_id": thread}}
    # Retrieval needs the vector index; rules mode keeps these tests free of it.
    context = Context(home=str(home), require_approval=True, modes=["rules"])
    return graph, config, context, graph.invoke(REQUEST, config, context=context)


@on_each_store
def test_approve(home: Path) -> None:
    graph, config, context, paused = start(home, "a")
    draft = paused["__interrupt__"][0].value["template"]["body"]
    done = graph.invoke(Command(resume={"action": "approve"}), config, context=context)
    assert done["review"].status == "approved" and done["template"].body == draft


@on_each_store
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


@on_each_store
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


@on_each_store
def test_bad_resume_names_the_format(home: Path) -> None:
    graph, config, context, _ = start(home, "x")
    with pytest.raises(ValueError, match="resume a review with"):
        graph.invoke(Command(resume="yes please"), config, context=context)


@on_each_store
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
    assert {"job-1", "job-2"} <= threads(home)


@on_each_store
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

    first = run()
    assert run() == first
    # A written line is the record: the run's checkpoints are gone.
    assert threads(home) == set()
    # Other settings: this run stops for approval, not with the answer the last one wrote,
    # and keeps its thread for the merchant's decision.
    assert run(require_approval=True)["error"] == "awaiting review"
    assert len(threads(home)) == 1
    # An import: lapsed customers now convert far better, and the prediction says so.
    with Store(home / "crm.sqlite") as store, store.transaction():
        sent = store.templates(segment="lapsed_90d")[:40]
        store.put_templates(
            [r._replace(template_id=f"{r.template_id}-again", conversions=r.clicks) for r in sent]
        )
    assert run()["scores"]["predicted_cvr"] > first["scores"]["predicted_cvr"]


@on_each_store
def test_a_review_resumes_in_another_process(home: Path) -> None:
    request = json.dumps({**REQUEST, "id": "campaign-9"})
    start = (
        "import json, sys; from pathlib import Path; from graph.checkpoint import durable_graph;"
        "from graph.context import Context; g = durable_graph(Path(sys.argv[2]));"
        "out = g.invoke(json.loads(sys.argv[1]), {'configurable': {'thread_id': 'review-1'}},"
        " context=Context(home=sys.argv[2], require_approval=True, modes=['rules']));"
        "print(out['__interrupt__'][0].value['template']['body'])"
    )
    finish = (
        "import sys; from pathlib import Path; from langgraph.types import Command;"
        "from graph.checkpoint import durable_graph; from graph.context import Context;"
        "g = durable_graph(Path(sys.argv[1])); out = g.invoke(Command(resume={'action':"
        " 'approve'}), {'configurable': {'thread_id': 'review-1'}},"
        " context=Context(home=sys.argv[1], require_approval=True, modes=['rules']));"
        "print(out['review'].status, out['template'].body)"
    )
    paused = subprocess.run(
        [sys.executable, "-c", start, request, str(home)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert paused.returncode == 0, paused.stderr
    draft = paused.stdout.strip()
    done = subprocess.run(
        [sys.executable, "-c", finish, str(home)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"approved {draft}"
