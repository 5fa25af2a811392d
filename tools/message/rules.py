"""The rule engine: what a message must never do, what it should not do, and the repairs
that can be made without changing what it says.

Hard rules: offer facts match the voucher (deadlines included), placeholders only from the
allowed set, no literal links (only ``{link}``, which the merchant's system fills), the
channel's length limit (SMS segments, push body, e-mail subject), the merchant's forbidden
words, an SMS that names its sender first and says how to opt out, no subject on SMS or IM,
no shouting. The subject goes through every rule the body does. Soft rules: exclamation
marks, an e-mail without a subject.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from tools.domain import (
    CampaignRequest,
    Merchant,
    RuleReport,
    RuleViolation,
    TemplateText,
    Voucher,
)
from tools.message.channels import LIMITS, sms_count
from tools.message.deadlines import deadline_claims, deadline_errors, drop_unsupported
from tools.message.features import PLACEHOLDER, has_emoji, is_shouting
from tools.message.merge_fields import to_ours
from tools.message.offers import offer_fact_errors
from tools.message.text import sentence_case, sentences, tidy

ALLOWED_PLACEHOLDERS = frozenset({"first_name", "link", "shop_name", "unsubscribe"})
SHOP_NAME = "{shop_name}"
SUBJECTLESS = frozenset({"sms", "im"})
"""Channels whose messages have no subject or title."""
OPT_OUT = "Reply STOP to opt out."
URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
"""A literal web address."""
STOP_WORD = re.compile(r"\bSTOP\b")
"""How a text tells its reader to opt out ("Reply STOP", "Text STOP")."""
_EXCLAMATIONS = re.compile(r"!+")
_BLANK = re.compile(r"\[[^\[\]\n]{1,40}\]")
"""A template's blank in square brackets ("[Product Name]", "[discount / free shipping]")."""


@dataclass(frozen=True)
class RuleContext:
    """What a message is checked against."""

    channel: str
    voucher: Voucher | None
    forbidden_words: tuple[str, ...] = ()
    sender: str = SHOP_NAME
    """How an SMS names its sender: the shop's name, or ``{shop_name}`` when unknown."""
    send_date: date | None = None
    """When the message goes out (default: today), for deadline claims."""
    locale: str = "en"
    """The language the copy is in: how its numbers, currencies and dates are read."""
    original: str = ""
    """The merchant's own text: with no voucher, its deadlines (points that expire, an
    event's date) are its facts."""
    brand_voice: str = "friendly"
    sms_max_segments: int = 1
    placeholders: frozenset[str] = field(default=ALLOWED_PLACEHOLDERS)

    @property
    def code(self) -> str | None:
        """The voucher's code, if any."""
        return self.voucher.code if self.voucher else None

    @property
    def sending(self) -> date:
        """The send date deadlines are read against."""
        return self.send_date or date.today()

    @property
    def max_exclamations(self) -> int:
        """Exclamation marks a message may carry in this voice."""
        return {"premium": 0, "minimal": 1, "bold": 2}.get(self.brand_voice, 1)


def _forbidden_pattern(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)


def check(template: TemplateText, context: RuleContext) -> list[RuleViolation]:
    """Every rule the message breaks."""
    body, subject = template.body, template.subject or ""
    text = "\n".join(part for part in (subject, template.preheader, body) if part)
    found: list[RuleViolation] = []

    def hard(rule: str, message: str) -> None:
        found.append(RuleViolation(rule=rule, severity="hard", message=message))

    if not body.strip():
        hard("empty", "the message body is empty")
    for error in offer_fact_errors(text, context.voucher, context.locale):
        hard("offer_facts", error)
    for error in false_deadlines(text, context):
        hard("offer_facts", error)
    if subject and context.channel in SUBJECTLESS:
        hard("subject", f"an {context.channel} message has no subject line")
    if template.preheader and context.channel != "email":
        hard("subject", f"an {context.channel} message has no preheader")
    for name in PLACEHOLDER.findall(text):
        if name not in context.placeholders:
            hard(
                "placeholders",
                f"unknown placeholder {{{name}}}; allowed: "
                + ", ".join(f"{{{p}}}" for p in sorted(context.placeholders)),
            )
    for blank in _BLANK.findall(text):
        hard("placeholders", f"an unfilled template blank {blank}: fill it or leave it out")
    stray = PLACEHOLDER.sub("", text)
    if "{" in stray or "}" in stray:
        hard("placeholders", "a stray brace: placeholders are written {first_name}")
    if URL.search(text):
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
        if not STOP_WORD.search(body):
            hard("sms_opt_out", f"an SMS must say how to opt out ({OPT_OUT!r})")
        if not names_sender(body, context.sender):
            hard("sms_sender", f"an SMS must name its sender first ({context.sender}: ...)")
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
    if is_shouting(text, context.code):
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
    if is_shouting(text, context.code):
        text = re.sub(r"!{2,}", "!", sentence_case(text))
        repairs.append(f"{label}: capitals and '!!' toned down")
    if URL.search(text):
        text = URL.sub("{link}", text)
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
    # Sentence by sentence, line by line: an e-mail keeps its paragraphs.
    several = len(sentences(text)) > 1
    chunks = re.split(r"(\n+)", text)
    for k in range(0, len(chunks), 2):
        kept = []
        for sentence in sentences(chunks[k]):
            word = next(
                (w for w in context.forbidden_words if _forbidden_pattern(w).search(sentence)),
                None,
            )
            if several and _BLANK.search(sentence):
                repairs.append(f"{label}: dropped '{sentence}', an unfilled blank")
            elif word and several and not _mentions_offer(sentence):
                repairs.append(f"{label}: dropped a sentence with {word!r}")
            else:
                kept.append(sentence)
        chunks[k] = " ".join(kept)
    text = re.sub(r"\n\s*\n(?:\s*\n)+", "\n\n", "".join(chunks)).strip()
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
    if subject and context.channel in SUBJECTLESS:
        subject = None
        repairs.append(f"subject: dropped (an {context.channel} message has none)")
    preheader = template.preheader
    if preheader and context.channel != "email":
        preheader = None
        repairs.append(f"preheader: dropped (an {context.channel} message has none)")
    elif preheader:
        preheader = _repair_text(preheader, context, repairs, "preheader")
    expires = context.voucher.expires if context.voucher else None
    parts = {"body": body, "subject": subject, "preheader": preheader}
    for label, part in parts.items():
        if part and false_deadlines(part, context):
            kept, removed = drop_unsupported(part, expires, context.sending)
            repairs += [
                f"{label}: removed '{claim}', which the voucher does not back" for claim in removed
            ]
            parts[label] = kept if label == "body" else kept or None
    body, subject, preheader = parts["body"] or "", parts["subject"], parts["preheader"]
    if context.channel == "sms":
        if not names_sender(body, context.sender):
            body = with_sender(body, context.sender)
            repairs.append(f"body: sender named first ({context.sender}:)")
        if not STOP_WORD.search(body):
            body = f"{body} {OPT_OUT}"
            repairs.append("body: SMS opt-out added")
        if sms_count(body).segments > context.sms_max_segments and has_emoji(body):
            body = tidy("".join(ch for ch in body if not has_emoji(ch)))
            repairs.append("body: emoji removed to stay in GSM-7 (160 characters per segment)")
    return TemplateText(subject=subject, preheader=preheader, body=body), repairs


def false_deadlines(text: str, context: RuleContext) -> list[str]:
    """Each deadline claim the voucher does not back. With no voucher, a deadline the
    merchant's own text states (its points expire) is the merchant's fact, not an offer's."""
    expires = context.voucher.expires if context.voucher else None
    errors = deadline_errors(text, expires, context.sending)
    if context.voucher is None and context.original:
        own = {c.phrase.lower() for c in deadline_claims(context.original)}
        errors = [e for e in errors if not any(f"'{phrase}'" in e.lower() for phrase in own)]
    return errors


_SENDER = re.compile(r"^((?:From )?(?:\{shop_name\}|[A-Z][\w&'.-]*(?: [A-Z][\w&'.-]*){0,2})):\s")
"""A sender named first, as carriers want it: "Knix: ", "From {shop_name}: " (capitalised
words only: "Flash sale on boots: " opens an offer, not a sender)."""


def sender_of(merchant: Merchant, request: CampaignRequest) -> str:
    """How the merchant's SMS name their sender: its profile's name; for a merchant whose
    name the store does not know (an id is not a name), the name its original opens with
    ("Knix: ..."), else ``{shop_name}``."""
    if merchant.name != merchant.merchant_id:
        return merchant.name
    found = _SENDER.match(to_ours(request.original_template or "").text.strip())
    return found.group(1) if found and found.group(1) not in _NOT_SENDERS else SHOP_NAME


_NOT_SENDERS = frozenset({"Sale", "Flash Sale", "News", "Alert", "Reminder", "Hi", "Hey", "Psst"})


def allowed_sms_segments(configured: int, original: str | None, sender: str) -> int:
    """SMS segments a message may use: the configured number, or as many as the merchant's
    own text already takes with its sender and opt-out (at most three): an edit keeps what
    the merchant chose to send."""
    if not original:
        return configured
    own = sms_count(f"{sender}: {to_ours(original).text.strip()} {OPT_OUT}").segments
    return max(configured, min(3, own))


def names_sender(body: str, sender: str) -> bool:
    """Whether a message opens with its sender's name, as carriers require of an SMS."""
    return body.lstrip().lower().startswith(sender.lower())


def with_sender(body: str, sender: str) -> str:
    """The message with its sender named first ("Knix: ...")."""
    return body if names_sender(body, sender) else f"{sender}: {body.lstrip()}"


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
