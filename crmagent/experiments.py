"""Experiments between messages from Python, as the CLI and the HTTP routes run them.

from crmagent import experiments
exp = experiments.create(home, "m001", "lapsed_90d", "sms", ("Come back", None), [("New", None)])
experiments.status(home, exp.experiment_id)          # the arms, P(best), the recommendation
experiments.next_split(home, exp.experiment_id, 5000)  # the next 5,000 sends, by arm
experiments.ship(home, exp.experiment_id, "variant-1")

Arms are sent under their template ids (``exp-<id>-a<k>``); importing the statistics of
those ids (``crmagent ingest``) brings the results in, and makes them history.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tools.bandits import (
    CONTROL_FLOOR,
    GUARDRAIL_BOUND,
    GUARDRAIL_CONFIDENCE,
    Arm,
    Objective,
    analyse,
    plan,
)
from tools.crm import Experiment, experiments_for

Text = tuple[str | None, str]
"""A message as ``(subject, body)``; the subject None where the channel has none."""


def create(
    home: str | Path,
    merchant_id: str,
    segment: str,
    channel: str,
    control: Text,
    variants: Sequence[Text],
) -> Experiment:
    """A running experiment: the control (the merchant's current message) and variants."""
    if not variants:
        raise ValueError("an experiment needs at least one variant: pass --variant-text")
    if channel not in {"im", "sms", "push", "email"}:
        raise ValueError(f"channel {channel!r} is not one of im, sms, push, email")
    return experiments_for(home).create(merchant_id, segment, channel, [control, *variants])


def _json_lines(path: Path) -> list[dict[str, Any]]:
    """A JSON object, or JSON objects one a line, from a file (numbered from 1)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict):
        return [whole]
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not valid JSON: {exc.msg}") from exc
        if not isinstance(item, dict):
            raise ValueError(f"{path}:{number}: expected a JSON object")
        items.append({"_line": number, **item})
    return items


def create_from_results(
    home: str | Path,
    results: Path,
    requests: Path | None = None,
    *,
    merchant_id: str | None = None,
    segment: str | None = None,
    channel: str | None = None,
    control: Text | None = None,
) -> Experiment:
    """An experiment of generated templates: each line of ``results`` (``crmagent batch``'s
    output or ``crmagent generate --json``) is a variant, and so is each of its ``variants``
    (``--variants K``), after its main template and in its order. A result does not name its
    campaign, so the merchant, segment and channel come from ``requests`` (the requests
    file, matched by id or line; one request serves every result) or the arguments, and the
    control from ``control`` or the request's original text."""
    answers = _json_lines(results)
    bad = [a for a in answers if "error" in a or "template" not in a]
    if bad:
        raise ValueError(
            f"{results}:{bad[0].get('_line', 1)}: not a generated template "
            f"({bad[0].get('error') or 'no template'}); leave error lines out"
        )
    if not answers:
        raise ValueError(f"{results}: no results")
    asked = _json_lines(requests) if requests is not None else []
    by_id = {str(r.get("id") or r.get("_line")): r for r in asked}
    campaigns = []
    for answer in answers:
        request = asked[0] if len(asked) == 1 else by_id.get(str(answer.get("id")))
        if asked and request is None:
            raise ValueError(f"{results}: result {answer.get('id')!r} has no request in {requests}")
        campaigns.append(request or {})
    first = campaigns[0]
    merchant_id = merchant_id or first.get("merchant_id")
    segment = segment or first.get("segment")
    channel = channel or first.get("channel")
    for request in campaigns[1:]:
        for field, value in (
            ("merchant_id", merchant_id),
            ("segment", segment),
            ("channel", channel),
        ):
            if request.get(field) not in {None, value}:
                raise ValueError(
                    f"{requests}: an experiment is one merchant, segment and channel; "
                    f"request {request.get('id')!r} has {field} {request[field]!r}, not {value!r}"
                )
    if not (merchant_id and segment and channel):
        raise ValueError(
            "the results do not name their campaign: pass --request REQUESTS (the file they "
            "were generated from) or --merchant, --segment and --channel"
        )
    if control is None:
        if not first.get("original_template"):
            raise ValueError(
                "no control: the request has no original_template; pass --control-text "
                "(the message the merchant sends now)"
            )
        control = (first.get("original_subject"), str(first["original_template"]))
    variants = [
        (written.get("subject"), str(written["body"]))
        for answer in answers
        for written in (
            answer["template"],
            *(v["template"] for v in answer.get("variants") or []),
        )
    ]
    return create(home, merchant_id, segment, channel, control, variants)


def record(
    home: str | Path,
    experiment_id: int,
    arm: str,
    sends: int,
    conversions: int,
    revenue: float | None = None,
    unsubscribes: int | None = None,
) -> Experiment:
    """Add results by hand to an arm whose template id was not imported."""
    store = experiments_for(home)
    experiment = store.get(experiment_id)
    store.record(experiment, experiment.arm(arm), sends, conversions, revenue, unsubscribes)
    return experiment


def _analysis_of(
    home: str | Path, experiment: Experiment, objective: Objective, seed: int
) -> tuple[list[dict[str, Any]], Any]:
    results = experiments_for(home).results(experiment)
    arms = [
        Arm(arm.name, r.sends, r.conversions, r.revenue, r.unsubscribes)
        for arm, r in zip(experiment.arms, results, strict=True)
    ]
    reading = analyse(arms, objective=objective, seed=seed)
    rows = []
    for arm, result, figures in zip(experiment.arms, results, reading.arms, strict=True):
        guardrail = (
            "control"
            if arm.index == 0
            else "unknown"
            if figures.p_unsubscribes_over is None
            else "stopped"
            if figures.guardrail_stopped
            else "ok"
        )
        rows.append(
            {
                "name": arm.name,
                "template_id": arm.template_id,
                "subject": arm.subject,
                "body": arm.body,
                "source": result.source,
                "sends": result.sends,
                "conversions": result.conversions,
                "revenue": result.revenue,
                "unsubscribes": result.unsubscribes,
                "rate": figures.rate,
                "rate_low": figures.rate_low,
                "rate_high": figures.rate_high,
                "value_per_send": figures.value_per_send,
                "p_best": figures.p_best,
                "expected_loss": figures.expected_loss,
                "unsubscribe_rate": figures.unsubscribe_rate,
                "p_unsubscribes_over": figures.p_unsubscribes_over,
                "guardrail": guardrail,
            }
        )
    return rows, reading


def _header(experiment: Experiment) -> dict[str, Any]:
    shipped = None if experiment.shipped_arm is None else experiment.arms[experiment.shipped_arm]
    return {
        "experiment_id": experiment.experiment_id,
        "merchant_id": experiment.merchant_id,
        "segment": experiment.segment,
        "channel": experiment.channel,
        "created_at": experiment.created_at,
        "status": experiment.status,
        "reason": experiment.reason,
        "shipped_arm": None if shipped is None else shipped.name,
        "decided_at": experiment.decided_at,
    }


def summary(experiment: Experiment) -> dict[str, Any]:
    """An experiment as JSON without its figures: its campaign, state and arms."""
    return {
        **_header(experiment),
        "arms": [
            {
                "name": arm.name,
                "template_id": arm.template_id,
                "subject": arm.subject,
                "body": arm.body,
            }
            for arm in experiment.arms
        ],
    }


def status(
    home: str | Path, experiment_id: int, *, objective: Objective = "conversion", seed: int = 0
) -> dict[str, Any]:
    """Where an experiment stands, as JSON: each arm's results, rate with its 90% credible
    interval, P(best), expected loss and unsubscribe guardrail, and the recommendation
    (``keep_testing``, ``ship`` an arm, or ``decided`` once stopped or shipped) with why;
    and its ``history``: after each import or record that changed it, each arm's
    conversions so far."""
    tests = experiments_for(home)
    experiment = tests.get(experiment_id)
    rows, reading = _analysis_of(home, experiment, objective, seed)
    guarded = [row["name"] for row in rows if row["guardrail"] == "stopped"]
    reason = reading.reason
    if guarded:
        reason += (
            f"; guardrail stopped {', '.join(guarded)} (unsubscribe rate over the control's "
            f"by more than {GUARDRAIL_BOUND * 100:g} point, with at least "
            f"{GUARDRAIL_CONFIDENCE:.0%} probability)"
        )
    if experiment.status != "running":
        action, arm = "decided", _header(experiment)["shipped_arm"]
        reason = f"{experiment.status}: {experiment.reason}"
    elif reading.stop:
        action, arm = "ship", reading.arms[reading.leader].name
    else:
        action, arm = "keep_testing", None
    return {
        **_header(experiment),
        "objective": objective,
        "seed": seed,
        "draws": reading.draws,
        "threshold": reading.threshold,
        "min_sends": reading.min_sends,
        "leader": reading.arms[reading.leader].name,
        "arms": rows,
        "recommendation": {
            "action": action,
            "arm": arm,
            "guardrail_stopped": guarded,
            "reason": reason,
        },
        "history": [
            {"at": at, "conversions": conversions} for at, conversions in tests.history(experiment)
        ],
    }


def next_split(
    home: str | Path,
    experiment_id: int,
    sends: int,
    *,
    seed: int = 0,
    floor: float = CONTROL_FLOOR,
    objective: Objective = "conversion",
) -> dict[str, Any]:
    """How to share the next ``sends`` among the arms, as JSON: while the test runs, by
    Thompson sampling (each arm's share is its probability to be best; the control keeps
    ``floor``; an arm stopped by the guardrail gets none); once it may stop, every send to
    the leader, with ``decided`` set and the reason (ship it to end the experiment)."""
    experiment = experiments_for(home).get(experiment_id)
    if experiment.status != "running":
        raise ValueError(
            f"experiment {experiment_id} is {experiment.status}: there is nothing to split"
        )
    rows, reading = _analysis_of(home, experiment, objective, seed)
    counts = plan(reading, sends, floor)
    return {
        **_header(experiment),
        "sends": sends,
        "seed": seed,
        "control_floor": floor,
        "decided": reading.stop,
        "reason": reading.reason,
        "split": [
            {
                "name": row["name"],
                "template_id": row["template_id"],
                "sends": count,
                "p_best": row["p_best"],
            }
            for row, count in zip(rows, counts, strict=True)
        ],
    }


def stop(home: str | Path, experiment_id: int, reason: str) -> Experiment:
    """Stop a running experiment without shipping an arm; the reason is kept."""
    store = experiments_for(home)
    return store.decide(store.get(experiment_id), "stopped", reason)


def ship(home: str | Path, experiment_id: int, arm: str, reason: str | None = None) -> Experiment:
    """End a running experiment by shipping an arm (the control too: "keep what we had")."""
    store = experiments_for(home)
    experiment = store.get(experiment_id)
    chosen = experiment.arm(arm)
    return store.decide(
        experiment, "shipped", reason or f"shipped {chosen.name} ({chosen.template_id})", chosen
    )


def list_experiments(home: str | Path, merchants: Iterable[str] | None = None) -> list[Experiment]:
    """The experiments, newest first (only these merchants' when given)."""
    return experiments_for(home).all(merchants)
