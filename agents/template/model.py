"""The template agent's model path: the writer model words the grounded draft's lines
(the prompt filled, its answer's schema) and writes guidance, and what it wrote is checked
line by line and step by step before any of it is used."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.language_models.chat_models import BaseChatModel
from pydantic import BaseModel, Field

from agents.rule_checker import rule_context
from agents.template.lines import Judged, hard, judge_wording, layout_of
from agents.template.steps import DraftStep, check_steps, pattern_names
from prompts.common import UNTRUSTED
from prompts.guidance import GUIDANCE_INSTRUCTIONS
from prompts.template import LINE_FEEDBACK, VERSIONS, WRITER_SYSTEM, WRITER_USER
from tools.domain import CampaignRequest, Merchant, Pattern, TemplateText
from tools.message.channels import LIMITS
from tools.message.features import pattern_weights, weighed
from tools.message.purpose import purpose_of, target
from tools.message.rules import sender_of
from tools.models import Spend, StructuredMethod, ask
from tools.writing.writer import WritePlan


class ModelDraft(BaseModel):
    """A model's wording of the draft's lines, and the guidance for it."""

    lines: list[str] = Field(
        description="One line for each numbered line, in order, each keeping its {slots}."
    )
    guidance: list[DraftStep] = Field(description="2 to 4 steps, most important first.")


class Wording(BaseModel):
    """One candidate wording of the draft's lines."""

    lines: list[str] = Field(
        description="One line for each numbered line, in order, each keeping its {slots}."
    )


class ModelDrafts(BaseModel):
    """Several candidate wordings (best of n in one call), and the guidance."""

    candidates: list[Wording] = Field(description="The versions asked for, each a full set.")
    guidance: list[DraftStep] = Field(description="2 to 4 steps, most important first.")


@dataclass(frozen=True)
class ModelWriting:
    """What the writer model contributed, checked: the template (its lines that failed a
    check put back as the grounded draft had them), the guidance steps that passed, and
    what was refused."""

    template: TemplateText
    guidance: list[DraftStep]
    lines: int
    """Lines the model was asked to word."""
    reverted: list[str]
    """Each line put back as the draft had it, with the reason."""
    refused_steps: list[str]
    """Each guidance step refused, with the reason."""
    candidates: int = 1


def limits_of(channel: str, sms_segments: int) -> str:
    """A channel's limits as a prompt states them."""
    limits = LIMITS[channel]
    if channel == "sms":
        return f"the whole SMS fits {sms_segments} segment(s) of 160 characters"
    subject = f", subject at most {limits.subject_chars}" if limits.subject_chars else ""
    return f"body at most {limits.body_chars} characters{subject}"


def write_with_model(
    model: BaseChatModel,
    request: CampaignRequest,
    merchant: Merchant,
    patterns: Sequence[Pattern],
    plan: WritePlan,
    draft: TemplateText,
    evidence_ids: Sequence[str],
    *,
    sms_segments: int,
    spend: Spend,
    method: StructuredMethod,
    tries: int,
    candidates: int = 1,
) -> ModelWriting | None:
    """The model's wording of the grounded ``draft`` and its guidance, checked; None when
    nothing it wrote could be used (the reasons in ``spend.problems``).

    The model words the draft's lines with their facts held in slots it must keep (filled
    in after it answers). A line that fails a check is put back as the draft had it (a
    repair, not a retry); the model is asked again, told exactly the failing spans, only
    when no line of any candidate passed, or every guidance step was refused. With
    ``candidates`` above 1 it writes that many wordings in one call, and the one the
    patterns predict converts best is kept."""
    context = rule_context(request, merchant, sms_segments)
    layout = layout_of(draft, request, sender_of(merchant, request))
    grounded = hard(draft, context)
    names, listed = pattern_names(patterns, plan, evidence_ids)
    weights = pattern_weights(patterns, None if plan is None else plan.overrules)
    free = layout.free
    checked: dict[int, tuple[Judged, list[DraftStep], list[str], int]] = {}

    def evaluate(answer: ModelDraft | ModelDrafts) -> list[str]:
        wordings = (
            [w.lines for w in answer.candidates]
            if isinstance(answer, ModelDrafts)
            else [answer.lines]
        )
        judged = [judge_wording(layout, lines, context, grounded) for lines in wordings]
        usable = [j for j in judged if j.kept or not free]
        steps, refused = check_steps(
            answer.guidance,
            (usable or judged or [Judged([], [], draft)])[0].template,
            names,
            listed,
        )
        problems: list[str] = []
        if free and not usable:
            problems += judged[0].reverted if judged else ["malformed: no lines"]
        if not steps:
            problems += refused or ["guidance: no steps"]
        if not problems:
            best = max(
                usable or judged,
                key=lambda j: (weighed(j.template, request, weights), j.kept),
            )
            checked[id(answer)] = (best, steps, refused, len(wordings))
        return problems

    lines = "\n".join(f"{i + 1} ({u.role}): {u.shown}" for i, u in enumerate(free))
    system = WRITER_SYSTEM.format(
        channel=request.channel.value,
        voice=merchant.brand_voice,
        locale=request.locale,
        forbidden=", ".join(merchant.forbidden_words) or "(none)",
        limits=limits_of(request.channel.value, sms_segments),
        guidance_instructions=GUIDANCE_INSTRUCTIONS.format(locale=request.locale),
        untrusted=UNTRUSTED,
    )
    user = WRITER_USER.format(
        purpose=purpose_of(request).value.replace("_", " "),
        target=target(request),
        segment=request.segment,
        use=", ".join(plan.use),
        avoid=", ".join(sorted(plan.avoid)) or "(nothing)",
        versions=VERSIONS.format(n=candidates) if candidates > 1 else "",
        lines=lines or "(every line is fixed: write only the guidance)",
        patterns=listed,
    )
    schema: type[ModelDraft] | type[ModelDrafts] = ModelDrafts if candidates > 1 else ModelDraft
    answer = ask(
        model,
        schema,
        system,
        user,
        spend=spend,
        method=method,
        tries=tries,
        check=evaluate,
        feedback=LINE_FEEDBACK,
    )
    if answer is None or id(answer) not in checked:
        return None
    best, steps, refused, count = checked[id(answer)]
    return ModelWriting(
        template=best.template,
        guidance=steps,
        lines=len(free),
        reverted=best.reverted,
        refused_steps=refused,
        candidates=count,
    )
