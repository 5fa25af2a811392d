"""The writer model in ``rewrite`` mode: a capable model writes the whole message from the
merchant's original, the evidence's plan and the facts as slots; the grounded layer is the
referee.

The model never writes a fact: the offer, code, end date, link and name are slots
(``{offer}``, ``{code}``, ``{expires}``, ``{link}``, ``{first_name}``) filled in after it
answers, and the merchant's own merge fields stay as written. What it writes is held to the
rules every message is (offer facts, deadlines, channel limits, forbidden words), the SMS
sender and opt-out are added once by the grounded layer, each change the evidence decided
must be in the text, and the message must still be for what it was for and name what it
named. A failing answer is asked again once, told each failure; then the grounded edit
stands in (the caller marks the run degraded)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.language_models.chat_models import BaseChatModel
from pydantic import BaseModel, Field

from agents.rule_checker import rule_context
from agents.template import DATE_FACT, DraftStep, check_steps, limits_of, pattern_names
from prompts.common import UNTRUSTED
from prompts.guidance import GUIDANCE_INSTRUCTIONS
from prompts.template import (
    REWRITE_BODY_ONLY,
    REWRITE_DEADLINE,
    REWRITE_FEEDBACK,
    REWRITE_KEEP,
    REWRITE_NO_CHANGE,
    REWRITE_NO_DEADLINE,
    REWRITE_NO_ORIGINAL,
    REWRITE_PARTS,
    REWRITE_SMS_FRAME,
    REWRITE_SYSTEM,
    REWRITE_UNSIGNED,
    REWRITE_USER,
)
from tools.domain import CampaignRequest, Edit, Merchant, Pattern, Purpose, TemplateText
from tools.message import merge_fields
from tools.message.features import FEATURES, feature_of, template_features
from tools.message.offers import date_phrase, offer_phrase
from tools.message.purpose import infer_purpose, names_purpose, purpose_of, target
from tools.message.rules import (
    OPT_OUT,
    STOP_WORD,
    SUBJECTLESS,
    URL,
    check_and_repair,
    hard_violations,
    sender_of,
    with_sender,
)
from tools.message.text import sentences, ungrounded_numbers
from tools.models import Spend, StructuredMethod, ask
from tools.writing.writer import WritePlan

SLOTS = ("offer", "code", "expires", "link", "first_name")
"""The facts a model may only write as slots."""
_SLOT = re.compile(r"\{([a-z_]+)\}")
_MERGE = re.compile(r"\{\{[^{}]*\}\}|\*\|[^|*]+\|\*|%[A-Za-z_]+%|§\d+§|\$\{[^{}]*\}")
_SENDER = re.compile(r"^\s*[^:\n{}]{2,40}:\s+")


class ModelMessage(BaseModel):
    """A model's whole message, facts as slots, and the guidance for it."""

    subject: str | None = Field(
        default=None, description="The e-mail subject or push title; null for SMS and IM."
    )
    preheader: str | None = Field(
        default=None, description="The e-mail's preview text; null for other channels."
    )
    body: str = Field(description="The message, facts only as {slots}.")
    not_done: list[str] = Field(
        default_factory=list,
        description="Each change of the plan not made, named as the plan names it, with why "
        "(it would take a claim or a fact the message is not given).",
    )
    guidance: list[DraftStep] = Field(description="2 to 4 steps, most important first.")


@dataclass(frozen=True)
class Rewritten:
    """What the writer model wrote and the referee let through: the message with its slots
    filled, the guidance steps that passed, the steps refused, and the edits against the
    original."""

    template: TemplateText
    guidance: list[DraftStep]
    refused_steps: list[str]
    edits: list[Edit]


def slot_values(request: CampaignRequest) -> dict[str, str]:
    """What each slot holds for this request (a slot with nothing to hold is left out)."""
    voucher = request.voucher
    values = {"link": "{link}", "first_name": "{first_name}"}
    if voucher is not None:
        values["offer"] = offer_phrase(voucher)
        if voucher.code:
            values["code"] = voucher.code
        if voucher.expires:
            values["expires"] = date_phrase(voucher.expires)
    return values


def _original(request: CampaignRequest) -> tuple[str, str]:
    """The original as the model sees it (subject and preheader labelled, merge fields in
    ours where CRMAgent knows them) and its body alone."""
    body = URL.sub("{link}", merge_fields.to_ours(request.original_template or "").text)
    head = [
        f"Subject: {request.original_subject}" if request.original_subject else "",
        f"Preheader: {request.original_preheader}" if request.original_preheader else "",
    ]
    return "\n".join([*filter(None, head), body]), body


def _plan(patterns: Sequence[Pattern], plan: WritePlan, decided: frozenset[str]) -> str:
    """The plan's changes as the model reads them: each change the evidence decided with its
    lift, interval, sends and ids; what best practice alone suggests, marked as such."""
    by_feature = {feature_of(p): p for p in patterns}
    lines = []
    for feature in plan.use:
        pattern = by_feature.get(feature)
        wish = FEATURES.get(feature, feature)
        if feature in decided and pattern is not None:
            lines.append(
                f"- {wish}: {pattern.lift:.2f}x ({pattern.ci_low or 0:.2f}-"
                f"{pattern.ci_high or 0:.2f}), n={pattern.sample_size}, "
                + (", ".join(pattern.evidence[:3]) or "no ids")
            )
        else:
            lines.append(f"- {wish}: best practice, no evidence")
    for feature in sorted(plan.avoid):
        pattern = by_feature.get(feature)
        marked = "evidence" if feature in decided and pattern else "best practice"
        lines.append(f"- avoid: {FEATURES.get(feature, feature)} ({marked})")
    return "\n".join(lines) or REWRITE_NO_CHANGE


def _facts_outside_slots(text: str, request: CampaignRequest, original: str) -> list[str]:
    """Each fact written outside a slot: a number the original does not have, a date, a
    link, the voucher's code."""
    bare = _MERGE.sub(" ", _SLOT.sub(" ", text))
    problems = [f"'{n}' is a number: write the slot" for n in ungrounded_numbers(bare, original)]
    problems += [f"'{m.group(0)}' is a date: write {{expires}}" for m in DATE_FACT.finditer(bare)]
    problems += [f"'{m.group(0)}' is a link: write {{link}}" for m in URL.finditer(bare)]
    code = request.voucher.code if request.voucher else None
    if code and code in bare:
        problems.append(f"'{code}' is the code: write {{code}}")
    return problems


def _named(feature: str, text: str) -> bool:
    """Whether an answer's ``not_done`` names a feature: by its name, or by the first words
    the plan describes it with."""
    wish = " ".join(FEATURES.get(feature, feature).lower().split()[:3])
    return feature in text or feature.replace("_", " ") in text or wish in text


def _filled(text: str, values: dict[str, str], allowed: set[str]) -> tuple[str, list[str]]:
    """The text with its slots filled, and each slot that cannot be."""
    problems = []
    for name in dict.fromkeys(_SLOT.findall(text)):
        if name in values:
            text = text.replace(f"{{{name}}}", values[name])
        elif name not in allowed:
            problems.append(f"{{{name}}} is no slot here (slots: {', '.join(sorted(values))})")
    return text, problems


def _sms_frame(body: str, sender: str) -> str:
    """An SMS with the sender named once, first, and the opt-out once, last: whatever the
    model wrote of either is taken off and the grounded layer's put on."""
    kept = [s for s in sentences(_SENDER.sub("", body.strip())) if not STOP_WORD.search(s)]
    return with_sender(f"{' '.join(kept)} {OPT_OUT}".strip(), sender)


def _edits(original: str, written: str, plan: WritePlan, request: CampaignRequest) -> list[Edit]:
    """The model's changes against the original, a sentence at a time, each with the plan
    item behind it where one is carried by the new sentence and not the old."""
    before, after = sentences(original.replace("\n", " ")), sentences(written.replace("\n", " "))
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    edits = []
    for op, i, j, k, m in matcher.get_opcodes():
        if op == "equal":
            continue
        old, new = " ".join(before[i:j]), " ".join(after[k:m])
        had = template_features(TemplateText(body=old), request)
        has = template_features(TemplateText(body=new), request)
        gained = [f for f in plan.use if has.get(f) and not had.get(f)]
        edits.append(
            Edit(
                kind="model_rewrite",
                before=old,
                after=new,
                reason="the writer model's rewrite, held to every hard rule"
                + (f"; the plan asks for: {FEATURES.get(gained[0], gained[0])}" if gained else ""),
                pattern=gained[0] if gained else None,
            )
        )
    return edits


def rewrite_with_model(
    model: BaseChatModel,
    request: CampaignRequest,
    merchant: Merchant,
    patterns: Sequence[Pattern],
    plan: WritePlan,
    evidence_ids: Sequence[str],
    *,
    held: dict[str, str] | None = None,
    sms_segments: int,
    spend: Spend,
    method: StructuredMethod,
    tries: int,
) -> Rewritten | None:
    """The model's whole message and guidance, refereed (see the module); None when no
    answer passed (the reasons in ``spend.problems``). Each of the plan's features
    the evidence decided (``plan.decided``) must be in the text (or, for one to avoid, not in
    it). ``held`` maps the markers the grounded edit holds the merchant's own merge fields
    under to the fields as written: the model writes the fields, the rules read the markers,
    and the result is written back in the merchant's syntax as the grounded one is."""
    channel = request.channel.value
    markers = {token: marker for marker, token in (held or {}).items() if marker[:1] == "§"}
    context = rule_context(request, merchant, sms_segments)
    sender = sender_of(merchant, request)
    values = slot_values(request)
    shown, original = _original(request)
    own_fields = set(_SLOT.findall(original)) - set(SLOTS)
    written_fields = [
        m.group(0) for m in _MERGE.finditer(original) if not m.group(0).startswith("§")
    ] + [f"{{{name}}}" for name in sorted(own_fields) if f"{{{{{name}}}}}" not in original]
    names, listed = pattern_names(patterns, plan, evidence_ids)
    decided = plan.decided
    changes = _plan(patterns, plan, decided)
    purpose = purpose_of(request)
    was_for = infer_purpose(original, request.voucher, None) if original else None
    if request.purpose is not None:
        was_for = None  # a purpose the request sets is the writer's brief, not a cue to keep
    checked: dict[int, Rewritten] = {}

    def referee(answer: ModelMessage) -> list[str]:
        problems: list[str] = []
        parts = {"subject": answer.subject, "preheader": answer.preheader, "body": answer.body}
        for label, part in parts.items():
            if part:
                problems += [f"{label}: {p}" for p in _facts_outside_slots(part, request, shown)]
        filled: dict[str, str | None] = {}
        for label, part in parts.items():
            for token, marker in markers.items():
                part = part.replace(token, marker) if part else part
            text, unfillable = _filled(part or "", values, own_fields) if part else ("", [])
            problems += [f"{label}: {p}" for p in unfillable]
            filled[label] = text or None
        body = filled["body"] or ""
        if channel == "sms":
            body = _sms_frame(body, sender)
        message = TemplateText(
            subject=None if channel in SUBJECTLESS else filled["subject"],
            preheader=filled["preheader"] if channel == "email" else None,
            body=body,
        )
        repaired, report = check_and_repair(message, context)
        problems += [f"{v.rule}: {v.message}" for v in hard_violations(report.violations)]
        have = template_features(repaired, request)
        excused = " ".join(answer.not_done).lower()
        for feature in sorted(decided):
            wish = FEATURES.get(feature, feature)
            if _named(feature, excused):
                continue
            if feature in plan.use and not have.get(feature):
                problems.append(f"the plan asks for: {wish} (make it, or say in not_done why not)")
            if feature in plan.avoid and have.get(feature):
                problems.append(f"the plan asks to avoid: {wish}")
        product = request.product_name
        named = bool(product) and str(product).lower() in original.lower()
        if named and str(product).lower() not in repaired.body.lower():
            problems.append(f"the message no longer names {product}")
        specific = was_for not in (None, Purpose.PROMOTION, Purpose.ANNOUNCEMENT)
        if was_for is not None and specific and not names_purpose(repaired.body, was_for):
            problems.append(f"the message no longer says it is for {was_for.value}")
        steps, refused = check_steps(answer.guidance, repaired, names, listed)
        if not steps:
            problems += refused or ["guidance: no steps"]
        if not problems:
            checked[id(answer)] = Rewritten(
                repaired, steps, refused, _edits(original, repaired.body, plan, request)
            )
        return problems

    parts = REWRITE_PARTS.get(channel, REWRITE_BODY_ONLY)
    system = REWRITE_SYSTEM.format(
        channel=channel,
        voice=merchant.brand_voice,
        locale=request.locale,
        parts=parts,
        limits=limits_of(channel, sms_segments),
        slots=", ".join(f"{{{s}}}" for s in values),
        merge=", ".join(dict.fromkeys(written_fields)) or "none here",
        purpose=purpose.value.replace("_", " "),
        deadline=REWRITE_DEADLINE if "expires" in values else REWRITE_NO_DEADLINE,
        sender=REWRITE_SMS_FRAME if channel == "sms" else REWRITE_UNSIGNED,
        forbidden=", ".join(merchant.forbidden_words) or "(none)",
        guidance_instructions=GUIDANCE_INSTRUCTIONS.format(locale=request.locale),
        untrusted=UNTRUSTED,
    )
    user = REWRITE_USER.format(
        segment=request.segment,
        purpose=purpose.value.replace("_", " "),
        target=target(request),
        slot_values="; ".join(f"{{{k}}} = {v}" for k, v in values.items()),
        original=shown or REWRITE_NO_ORIGINAL,
        plan=changes,
        keep=REWRITE_KEEP,
        patterns=listed,
    )
    answer = ask(
        model,
        ModelMessage,
        system,
        user,
        spend=spend,
        method=method,
        tries=tries,
        check=referee,
        feedback=REWRITE_FEEDBACK,
    )
    if answer is None or id(answer) not in checked:
        return None
    return checked[id(answer)]


__all__ = ["ModelMessage", "Rewritten", "rewrite_with_model", "slot_values"]
