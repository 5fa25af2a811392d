"""The rule engine: what a message must never do, what it should not do, and the repairs
that can be made without changing what it says.

Hard rules: offer facts match the voucher, placeholders only from the allowed set, no
literal links (only ``{link}``, which the merchant's system fills), the channel's length
limit (SMS segments, push body, e-mail subject), the merchant's forbidden words, an SMS
opt-out, no shouting. Soft rules: exclamation marks, an e-mail without a subject.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tools.channels import LIMITS, sms_count
from tools.domain import RuleReport, RuleViolation, TemplateText, Voucher
from tools.features import PLACEHOLDER, has_emoji, is_shouting
from tools.offers import offer_fact_errors
from tools.text import sentence_case, sentences, tidy

ALLOWED_PLACEHOLDERS = frozenset({"first_name", "link", "shop_name"})
OPT_OUT = "Reply STOP to opt out."
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_OPT_OUT = re.compile(r"\bSTOP\b")
_EXCLAMATIONS = re.compile(r"!+")


@dataclass(frozen=True)
class RuleContext:
    """What a message is checked against."""

    channel: str
    voucher: Voucher
    forbidden_words: tuple[str, ...] = ()
    brand_voice: str = "friendly"
    sms_max_segments: int = 1
    placeholders: frozenset[str] = field(default=ALLOWED_PLACEHOLDERS)

    @property
    def max_exclamations(self) -> int:
        """Exclamation marks a message may carry in this voice."""
        return {"premium": 0, "minimal": 1, "bold": 2}.get(self.brand_voice, 1)


def _forbidden_pattern(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)


def check(template: TemplateText, context: RuleContext) -> list[RuleViolation]:
    """Every rule the message breaks."""
    body, subject = template.body, template.subject or ""
    text = f"{subject}\n{body}" if subject else body
    found: list[RuleViolation] = []

    def hard(rule: str, message: str) -> None:
        found.append(RuleViolation(rule=rule, severity="hard", message=message))

    if not body.strip():
        hard("empty", "the message body is empty")
    for error in offer_fact_errors(text, context.voucher):
        hard("offer_facts", error)
    for name in PLACEHOLDER.findall(text):
        if name not in context.placeholders:
            hard(
                "placeholders",
                f"unknown placeholder {{{name}}}; allowed: "
                + ", ".join(f"{{{p}}}" for p in sorted(context.placeholders)),
            )
    stray = PLACEHOLDER.sub("", text)
    if "{" in stray or "}" in stray:
        hard("placeholders", "a stray brace: placeholders are written {first_name}")
    if _URL.search(text):
        hard("links", "a literal link: use {link}, which your system fills with your URL")
    for word in context.forbidden_words:
        if _forbidden_pattern(word).search(text):
            hard("forbidden_words", f"uses {word!r}, which this merchant never says")
    limits = LIMITS[context.channel]
    if context.channel == "sms":
        count = sms_count(body)
        if count.segments > context.sms_max_segments:
            hard(
                "channel_length",
                f"needs {count.segments} SMS segments ({count.units} "
                f"{count.encoding} units); at most {context.sms_max_segments} allowed"
                + ("; an emoji switched it to UCS-2" if count.encoding == "UCS-2" else ""),
            )
        if not _OPT_OUT.search(body):
            hard("sms_opt_out", f"an SMS must say how to opt out ({OPT_OUT!r})")
    elif len(body) > limits.body_chars:
        hard(
            "channel_length",
            f"body has {len(body)} characters; {context.channel} shows {limits.body_chars}",
        )
    if subject and limits.subject_chars and len(subject) > limits.subject_chars:
        hard(
            "channel_length",
            f"subject has {len(subject)} characters; at most {limits.subject_chars}",
        )
    if is_shouting(text, context.voucher.code):
        hard("shouting", "runs of capitals or '!!' read as shouting")
    exclamations = len(_EXCLAMATIONS.findall(text))
    if exclamations > context.max_exclamations:
        found.append(
            RuleViolation(
                rule="exclamations",
                severity="soft",
                message=f"{exclamations} exclamation marks; a {context.brand_voice} voice uses at "
                f"most {context.max_exclamations}",
            )
        )
    if context.channel == "email" and not subject:
        found.append(
            RuleViolation(rule="subject", severity="soft", message="an e-mail needs a subject line")
        )
    return found


def _repair_text(text: str, context: RuleContext, repairs: list[str], label: str) -> str:
    if is_shouting(text, context.voucher.code):
        text = re.sub(r"!{2,}", "!", sentence_case(text))
        repairs.append(f"{label}: capitals and '!!' toned down")
    if _URL.search(text):
        text = _URL.sub("{link}", text)
        repairs.append(f"{label}: literal link replaced by {{link}}")

    def _fix_placeholder(match: re.Match[str]) -> str:
        name = match.group(1)
        normal = re.sub(r"[^a-z]", "", name.lower())
        for allowed in context.placeholders:
            if normal == allowed.replace("_", ""):
                if name != allowed:
                    repairs.append(f"{label}: placeholder {{{name}}} written {{{allowed}}}")
                return f"{{{allowed}}}"
        repairs.append(f"{label}: unknown placeholder {{{name}}} removed")
        return ""

    text = PLACEHOLDER.sub(_fix_placeholder, text)
    parts = sentences(text)
    kept = []
    for sentence in parts:
        word = next(
            (w for w in context.forbidden_words if _forbidden_pattern(w).search(sentence)), None
        )
        if word and len(parts) > 1 and not _mentions_offer(sentence):
            repairs.append(f"{label}: dropped a sentence with {word!r}")
            continue
        kept.append(sentence)
    text = " ".join(kept)
    marks = 0

    def _limit(match: re.Match[str]) -> str:
        nonlocal marks
        marks += 1
        return "!" if marks <= context.max_exclamations else "."

    limited = _EXCLAMATIONS.sub(_limit, text)
    if limited != text:
        repairs.append(f"{label}: exclamation marks cut to {context.max_exclamations}")
    return tidy(limited)


def _mentions_offer(sentence: str) -> bool:
    return bool(re.search(r"\d|free|off\b|gift", sentence, re.IGNORECASE))


def repair(template: TemplateText, context: RuleContext) -> tuple[TemplateText, list[str]]:
    """Fix what can be fixed without changing the message's meaning; say what was done."""
    repairs: list[str] = []
    body = _repair_text(template.body, context, repairs, "body")
    subject = (
        _repair_text(template.subject, context, repairs, "subject") if template.subject else None
    )
    if context.channel == "sms":
        if not _OPT_OUT.search(body):
            body = f"{body} {OPT_OUT}"
            repairs.append("body: SMS opt-out added")
        if sms_count(body).segments > context.sms_max_segments and has_emoji(body):
            body = tidy("".join(ch for ch in body if not has_emoji(ch)))
            repairs.append("body: emoji removed to stay in GSM-7 (160 characters per segment)")
    return TemplateText(subject=subject, body=body), repairs


def hard_violations(violations: Sequence[RuleViolation]) -> list[RuleViolation]:
    """The violations that stop a message from being sent."""
    return [v for v in violations if v.severity == "hard"]


def check_and_repair(
    template: TemplateText, context: RuleContext
) -> tuple[TemplateText, RuleReport]:
    """Repair, then check: the message to use and its report (passed = no hard violation)."""
    repaired, repairs = repair(template, context)
    violations = check(repaired, context)
    passed = not hard_violations(violations)
    return repaired, RuleReport(passed=passed, violations=violations, repairs=repairs)
