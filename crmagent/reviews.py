"""The review queue: runs that stopped at the graph's ``review`` interrupt, for a person to
approve, edit, reject or send back for another draft.

A run asks for approval with ``require_approval``; it runs on the checkpointed graph under
its own thread, and its draft is listed in the queue (``tools.crm.access``). A decision
resumes the thread with the graph's own review actions, so the page, the API and a batch
share one mechanism: what the queue shows is the thread's state.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, cast

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command

from crmagent.api import RESULT_KEYS, make_context
from graph.checkpoint import durable_graph
from graph.context import Context
from graph.state import InputState
from tools.crm import ReviewRow, access_for
from tools.domain import CampaignRequest, GenerationResult

Decision = Literal["approve", "edit", "reject", "another"]
ANOTHER_DRAFT = "another draft, please"


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def _status(values: dict[str, Any], paused: bool) -> tuple[str, str | None]:
    if paused:
        review = values.get("review")
        return "pending", review.reason if review is not None else None
    review = values["review"]
    return ("approved" if review.status == "edited" else review.status), review.reason


def _result(values: dict[str, Any]) -> dict[str, Any]:
    result = GenerationResult.model_validate({k: v for k, v in values.items() if k in RESULT_KEYS})
    return result.model_dump(mode="json")


def record(home: Path, thread_id: str, by: str | None = None) -> str:
    """Put a thread's current state in the queue (a run paused for review, or the end of
    one); returns its status."""
    snapshot = durable_graph(home).get_state(_config(thread_id))
    values = snapshot.values
    status, reason = _status(values, bool(snapshot.next))
    request = values["request"].model_dump(mode="json")
    access_for(home).put_review(thread_id, request, _result(values), status, reason, by)
    return status


def submit(
    request: CampaignRequest, context: Context | None = None, by: str | None = None
) -> ReviewRow:
    """Run a request for approval: it stops at the review with its draft in the queue."""
    ctx = replace(make_context(context), require_approval=True)
    home = Path(ctx.home).resolve()
    thread_id = f"review:{uuid.uuid4().hex}"
    payload = request.model_dump(mode="json")
    durable_graph(home).invoke(cast(InputState, payload), _config(thread_id), context=ctx)
    record(home, thread_id, by)
    row = access_for(home).review(thread_id)
    assert row is not None
    return row


def decide(
    thread_id: str,
    decision: Decision,
    *,
    context: Context | None = None,
    body: str | None = None,
    subject: str | None = None,
    reason: str | None = None,
    by: str | None = None,
) -> ReviewRow:
    """Resume a pending run with a decision: approve it as drafted, approve the person's
    edited text (checked by the rules again: a text that breaks one stays pending with the
    reason), reject it with a reason (the run ends), or ask for another draft."""
    ctx = replace(make_context(context), require_approval=True)
    home = Path(ctx.home).resolve()
    access = access_for(home)
    if not access.claim(thread_id):
        raise LookupError(f"no pending review {thread_id!r}: decided already, or being decided")
    try:
        runner = durable_graph(home)
        snapshot = runner.get_state(_config(thread_id))
        if snapshot.next != ("review",):
            raise LookupError(f"run {thread_id!r} is not waiting for a review")
        if decision == "another" and snapshot.values.get("rejections", 0) >= 1:
            raise LookupError("another draft was written already: approve, edit or reject")
        runner.invoke(
            Command(resume=_resume(decision, body, subject, reason)),
            _config(thread_id),
            context=ctx,
        )
    except BaseException:
        access.release(thread_id)
        raise
    record(home, thread_id, by)
    done = access.review(thread_id)
    assert done is not None
    return done


def _resume(
    decision: Decision, body: str | None, subject: str | None, reason: str | None
) -> dict[str, Any]:
    """The graph review's own action for a decision."""
    if decision == "approve":
        return {"action": "approve"}
    if decision == "edit":
        return {"action": "edit", "body": body or "", "subject": subject}
    if decision == "another":
        return {"action": "reject", "reason": reason or ANOTHER_DRAFT}
    return {"action": "discard", "reason": reason or "no reason given"}
