"""The one place that wires CRMAgent into the arena (DESIGN.md): the arena's runner gets
the agent's public ``generate_batch``, its analyst and its rule checker, and nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from agents import analyst
from agents.rule_checker import rule_context
from crmagent.api import BatchError, generate_batch
from crmagent.measure.readers import direct
from tools.bandits import Arm, analyse, plan
from tools.crm.resources import store_for
from tools.domain import (
    CampaignRequest,
    GenerationResult,
    Merchant,
    RuleReport,
    RuleViolation,
    Scores,
    TemplateText,
    Usage,
)
from tools.message.purpose import purpose_of
from tools.message.rules import check, hard_violations
from tools.models import Spend, load_model


class CRMAgent:
    """CRMAgent as the arena sees it."""

    def __init__(self, max_concurrency: int = 2, **settings: Any) -> None:
        self.max_concurrency = max_concurrency
        self.settings = settings

    def generate(
        self, requests: Sequence[dict[str, Any]], home: Path, settings: dict[str, Any]
    ) -> list[GenerationResult | str]:
        """The variant's results, through the public batch API; for the ``direct`` variant,
        the model asked directly (``model_direct``)."""
        if "direct" in settings:
            return self._direct(requests, home, str(settings["direct"]))
        results = generate_batch(
            list(requests),
            max_concurrency=self.max_concurrency,
            home=str(home),
            **{**self.settings, **settings},
        )
        return [r.error if isinstance(r, BatchError) else r for r in results]

    def _direct(
        self, requests: Sequence[dict[str, Any]], home: Path, model: str
    ) -> list[GenerationResult | str]:
        """The same model asked directly, with a plain copywriter's brief and the task's
        facts and no history (``crmagent.measure.readers.direct``): the baseline CRMAgent's
        evidence has to beat. Its text is checked by the rules, not repaired."""
        writer = load_model(model, 1800.0)
        if writer is None:
            raise ValueError("the model_direct variant needs a model, not offline")

        def one(request: dict[str, Any]) -> GenerationResult | str:
            spend = Spend()
            text = direct(request, writer, spend)
            if text is None:
                return "; ".join(spend.problems) or "no answer"
            parsed = CampaignRequest.model_validate(request)
            template = TemplateText(subject=text.subject, body=text.body)
            violations = _violations(parsed, template, home)
            return GenerationResult(
                id=parsed.id,
                mode="rules",
                purpose=purpose_of(parsed),
                template=template,
                rule_report=RuleReport(
                    passed=not hard_violations(violations), violations=violations
                ),
                scores=Scores(audience_match=0, marketing_effectiveness=0, predicted_cvr=0),
                model=model,
                usage=Usage(calls=spend.calls),
            )

        with ThreadPoolExecutor(self.max_concurrency) as pool:
            return list(pool.map(one, requests))

    def answer(self, kind: str, params: dict[str, Any], home: Path) -> str | None:
        """An analyst question, answered with tools over the store."""
        store = store_for(home)
        if kind == "best_template":
            return analyst.best_template(
                store, params["merchant_id"], params["segment"], params["start"], params["end"]
            )
        if kind == "top_element":
            return analyst.top_element(store, params["segment"], params["elements"])
        if kind == "best_segment":
            return analyst.best_segment(
                store, params["voucher_type"], params["channel"], params["min_sends"]
            )
        raise ValueError(f"unknown analyst question {kind!r}")

    def broken_rule(
        self, request: dict[str, Any], subject: str | None, body: str, home: Path
    ) -> str | None:
        """The first hard rule the template breaks, by CRMAgent's rule engine: the template
        is the candidate, so no allowance for an original's own length applies."""
        parsed = CampaignRequest.model_validate({**request, "original_template": None})
        violations = _violations(parsed, TemplateText(subject=subject, body=body), home)
        hard = [v.rule for v in hard_violations(violations)]
        return hard[0] if hard else None


def _violations(
    request: CampaignRequest, template: TemplateText, home: Path
) -> list[RuleViolation]:
    """Every rule ``template`` breaks for ``request``, by CRMAgent's rule engine, for the
    merchant as the store knows it (one SMS segment)."""
    merchant = store_for(home).merchant(request.merchant_id) or Merchant(
        merchant_id=request.merchant_id, name=request.merchant_id
    )
    return check(template, rule_context(request, merchant, sms_segments=1))


def thompson(arms: Sequence[tuple[int, int]], sends: int, seed: int) -> list[int]:
    """The closed loop's learning policy (``arena.loop.Policy``): the next ``sends`` shared
    out by Thompson sampling over the arms' ``(sends, conversions)``, the first arm the
    control keeping its floor, as ``crmagent experiment next`` does."""
    reading = analyse(
        [Arm(f"arm-{i}", n, c) for i, (n, c) in enumerate(arms)], seed=seed, draws=THOMPSON_DRAWS
    )
    return plan(reading, sends)


THOMPSON_DRAWS = 4_000
"""Posterior draws per split in the loop: P(best) to about +-0.008, enough to share sends."""
