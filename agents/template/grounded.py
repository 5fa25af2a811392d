"""The template agent: turns patterns (or, in the fallback, best-practice rules) into a
writing plan and has the grounded writer adapt an exemplar slot by slot."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from langchain_core.language_models.chat_models import BaseChatModel
from pydantic import BaseModel, Field

from agents.content import evidence_decides
from agents.rule_checker import rule_context
from prompts.common import UNTRUSTED
from prompts.guidance import GUIDANCE_INSTRUCTIONS
from prompts.template import LINE_FEEDBACK, VERSIONS, WRITER_SYSTEM, WRITER_USER
from tools.domain import CampaignRequest, Merchant, Pattern, TemplateText, WordingLift
from tools.message import merge_fields
from tools.message.best_practice import practice
from tools.message.channels import LIMITS
from tools.message.features import feature_of, pattern_weights, weighed
from tools.message.offers import OFFER_PHRASE, offer_phrase
from tools.message.purpose import purpose_of, target
from tools.message.rules import (
    OPT_OUT,
    STOP_WORD,
    URL,
    RuleContext,
    check,
    hard_violations,
    repair,
    sender_of,
)
from tools.message.text import sentences, ungrounded_numbers
from tools.models import Spend, StructuredMethod, ask
from tools.writing import wording
from tools.writing.editor import Edited, Editor
from tools.writing.writer import Exemplar, WritePlan, Writer, request_seed

ALWAYS = ("offer_stated", "cta")
"""Never dropped: the offer is the reason to read, the link the way to act."""
NEVER = ("shouting", "vague_offer")
"""Never written, whatever the evidence: capitals and vague offers cost trust."""


def plan_from(
    patterns: Sequence[Pattern],
    canonical: str | None,
    channel: str,
    *,
    min_confidence: float,
    contrary_confidence: float,
    sms_segments: int = 1,
    attempt: int = 0,
) -> WritePlan:
    """Features to use (evidence first, strongest lift first, then best practice that the
    evidence does not contradict) and to avoid. Evidence decides a feature at
    ``min_confidence``, or at ``contrary_confidence`` where it goes against best practice.
    Each retry drops the weakest optional one."""
    best = practice(canonical, channel)
    use: list[str] = list(ALWAYS)
    avoid: set[str] = set()
    decided: set[str] = set()
    for pattern in sorted(patterns, key=lambda p: p.lift, reverse=True):
        feature = feature_of(pattern)
        sure = evidence_decides(pattern, best, min_confidence, contrary_confidence)
        if not sure or feature in decided:
            continue
        decided.add(feature)
        if pattern.lift >= 1 and feature not in NEVER:
            if feature not in use:
                use.append(feature)
        elif feature not in ALWAYS:
            avoid.add(feature)
    use += [f for f in best.use if f not in decided and f not in use]
    avoid |= {f for f in best.avoid if f not in decided}
    optional = [f for f in use if f not in avoid and f not in ALWAYS]
    if attempt:
        optional = optional[: max(0, len(optional) - attempt)]
    return WritePlan(
        use=(*ALWAYS, *optional),
        avoid=frozenset(avoid),
        sms_segments=sms_segments,
        decided=frozenset(decided),
    )


def write(
    request: CampaignRequest,
    merchant: Merchant,
    canonical: str | None,
    plan: WritePlan,
    exemplar: Exemplar | None,
    *,
    variant: int = 0,
    voice: Sequence[str] = (),
) -> TemplateText:
    """The grounded draft: the exemplar adapted slot by slot to this campaign, following the
    plan; ``variant`` (a retry, a rejection) changes the phrasing, not the facts; ``voice``
    (the merchant's past texts) may give it room."""
    seed = request_seed(request) + variant
    return Writer(request, merchant, canonical, seed=seed, voice=voice).write(plan, exemplar)


def draft_value(
    draft: TemplateText,
    request: CampaignRequest,
    patterns: Sequence[Pattern],
    plan: WritePlan | None = None,
) -> float:
    """What the patterns predict for a draft: the sum of the log lifts of the features it
    carries (an avoided feature's lift is below 1), each weighted by how sure its pattern
    is. A pattern the ``plan`` overruled counts for nothing: evidence too unsure to turn
    best practice in the plan does not turn it through the pick among phrasings either.
    Only differences between drafts of one request mean anything."""
    return weighed(
        draft, request, pattern_weights(patterns, None if plan is None else plan.overrules)
    )


def write_best(
    request: CampaignRequest,
    merchant: Merchant,
    canonical: str | None,
    plan: WritePlan,
    exemplars: Sequence[Exemplar],
    patterns: Sequence[Pattern],
    *,
    drafts: int,
    variant: int = 0,
    voice: Sequence[str] = (),
) -> TemplateText:
    """The best of ``drafts`` phrasings of the plan from each exemplar (a merchant's top
    few templates, each with its own openings and lines) by what the patterns predict
    (phrasing carries features too: a hook that asks a question, a call to action that fits
    the code in). Of drafts valued alike, the one whose offer is read soonest wins, then
    the first one; with no evidence this is ``write`` on the first exemplar. The merchant's
    own text stays when the patterns
    predict it beats every draft and it breaks no hard rule: a rewrite must earn its
    place."""
    sources: list[Exemplar | None] = [*exemplars] or [None]
    if not patterns:
        sources, drafts = sources[:1], 1
    candidates = []
    for exemplar in sources:
        writer = Writer(
            request, merchant, canonical, seed=request_seed(request) + variant, voice=voice
        )
        candidates += [writer.write(plan, exemplar) for _ in range(drafts)]
    soon = "offer_early" not in plan.avoid
    weights = pattern_weights(patterns, None if plan is None else plan.overrules)

    def value(draft: TemplateText) -> tuple[float, int]:
        # Of drafts the patterns value alike, the one whose offer is read soonest (a
        # preview shows more of it), unless evidence has the plan hold the offer back.
        offer = OFFER_PHRASE.search(draft.body)
        read_by = offer.end() if offer else len(draft.body)
        return weighed(draft, request, weights), -read_by if soon else 0

    best = max(candidates, key=value)
    if request.original_template and patterns:
        original = TemplateText(subject=best.subject, body=request.original_template)
        context = rule_context(request, merchant, plan.sms_segments)
        sound = not hard_violations(check(original, context))
        if sound and weighed(original, request, weights) > weighed(best, request, weights):
            return original
    return best


def edit(
    request: CampaignRequest,
    merchant: Merchant,
    canonical: str | None,
    plan: WritePlan,
    patterns: Sequence[Pattern],
    own: Sequence[Exemplar] = (),
    wordings: Sequence[WordingLift] = (),
) -> Edited:
    """The merchant's original edited to the plan, each edit with its reason (group
    learning may borrow lines from ``own``, the merchant's best texts; ``wordings`` may
    replace an opening, an offer's verb or a call to action's words). The original itself
    stays when the patterns and wordings predict it does at least as well as the edit and
    it breaks no hard rule: an edit must earn its place."""
    editor = Editor(
        request,
        merchant,
        canonical,
        patterns,
        sender=sender_of(merchant, request),
        own=own,
        wordings=wordings,
    )
    edited = editor.edit(plan)
    if patterns and request.original_template:
        original = TemplateText(
            subject=edited.template.subject,
            body=merge_fields.to_ours(request.original_template).text,
        )
        context = rule_context(request, merchant, plan.sms_segments)
        weights = pattern_weights(patterns, None if plan is None else plan.overrules)
        sound = not hard_violations(check(original, context))

        def predicted(text: TemplateText) -> float:
            return weighed(text, request, weights) + wording.value(text.body, wordings)

        if sound and predicted(original) > predicted(edited.template):
            return Edited(original, (), edited.syntax)
    return edited


def rules_plan(canonical: str | None, channel: str, sms_segments: int) -> WritePlan:
    """The zero-shot fallback's plan: best practice for the segment and channel only."""
    return plan_from(
        (),
        canonical,
        channel,
        min_confidence=1.0,
        contrary_confidence=1.0,
        sms_segments=sms_segments,
    )


def original_exemplar(request: CampaignRequest) -> Exemplar | None:
    """The merchant's current text, whose clean opening and call to action the rules
    rewrite keeps."""
    original = request.original_template
    return Exemplar("original", original, own=True) if original else None


def rules_rewrite(
    request: CampaignRequest,
    merchant: Merchant,
    canonical: str | None,
    *,
    sms_segments: int,
    variant: int = 0,
) -> TemplateText:
    """The zero-shot fallback: best practice for the segment and channel, keeping the
    merchant's own opening and call to action where they are clean."""
    plan = rules_plan(canonical, request.channel.value, sms_segments)
    return write(request, merchant, canonical, plan, original_exemplar(request), variant=variant)


def minimal(request: CampaignRequest, merchant: Merchant) -> TemplateText:
    """The plainest message: the offer and the link (and, for SMS, the opt-out)."""
    every_option = frozenset(
        {
            "urgency",
            "personalised",
            "code_stated",
            "exclusivity",
            "social_proof",
            "emoji",
            "question",
            "product_named",
            "long_copy",
        }
    )
    plan = WritePlan(use=ALWAYS, avoid=every_option)
    return Writer(request, merchant, None).write(plan)


class DraftStep(BaseModel):
    """One guidance step a model wrote."""

    text: str = Field(description="An action for the merchant (starting with a verb) and why.")
    pattern: str = Field(default="", description="The pattern it acts on: a name from the list.")
    evidence: list[str] = Field(
        default_factory=list, description="That pattern's evidence ids, only from the list."
    )


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


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
DATE_FACT = re.compile(
    rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?:\s+\d{{4}})?"
    r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?\b",
    re.IGNORECASE,
)
"""A date as a writer model may state it, in any of the forms copy uses."""
_FACTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", DATE_FACT),
    (
        "offer",
        re.compile(
            r"(?:[$€£¥]\s?\d+(?:[.,]\d+)*|\d+(?:[.,]\d+)*\s?(?:%|€|£|\$|percent\b))(?:\s+off\b)?",
            re.IGNORECASE,
        ),
    ),
    ("number", re.compile(r"\d+(?:[.,]\d+)*")),
)
_TOKEN = re.compile(r"\{([a-z][a-z_0-9]*)\}")
_MARKER = re.compile(r"\{[a-z_]+\}|§\d+§")
_NUMBERING = re.compile(r"^\s*\d+\s*(?:\([^)]*\))?\s*[:.)-]\s*")
_STATED_NUMBER = re.compile(r"[$€£¥]?\d+(?:[.,]\d+)*%?")
_SENDER_PREFIX = re.compile(r"^\s*([^:\n]{2,40}):\s")


@dataclass(frozen=True)
class _Unit:
    """One line of the draft as the model sees it: a sentence, or the subject."""

    text: str
    shown: str
    slots: tuple[tuple[str, str], ...]
    fixed: bool
    role: str


def _slotted(text: str, request: CampaignRequest) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``text`` with each fact in a named slot, and the slots' values."""
    spans: list[tuple[int, int, str]] = []

    def take(start: int, end: int, kind: str) -> None:
        if all(end <= s or start >= e for s, e, _ in spans):
            spans.append((start, end, kind))

    for found in _MARKER.finditer(text):
        take(found.start(), found.end(), "")
    voucher = request.voucher
    if voucher is not None and voucher.code:
        for found in re.finditer(re.escape(voucher.code), text):
            take(found.start(), found.end(), "code")
    if voucher is not None:
        phrase = offer_phrase(voucher)
        for found in re.finditer(re.escape(phrase), text, re.IGNORECASE):
            take(found.start(), found.end(), "offer")
    for kind, pattern in _FACTS:
        for found in pattern.finditer(text):
            take(found.start(), found.end(), kind)
    shown, slots, last, seen = [], [], 0, Counter[str]()
    for start, end, kind in sorted(spans):
        value = text[start:end]
        if not kind:  # a placeholder ({link}) or a held merge field: a slot already
            token = value if value.startswith("{") else f"{{field_{value.strip('§')}}}"
        else:
            seen[kind] += 1
            token = f"{{{kind}}}" if seen[kind] == 1 else f"{{{kind}_{seen[kind]}}}"
        shown.append(text[last:start] + token)
        slots.append((token, value))
        last = end
    shown.append(text[last:])
    return "".join(shown), tuple(slots)


def _role(unit_text: str, slots: tuple[tuple[str, str], ...], first: bool) -> str:
    tokens = {t for t, _ in slots}
    if "{link}" in tokens:
        return "call to action"
    if tokens & {"{offer}", "{code}"}:
        return "offer"
    return "opening" if first else "detail"


@dataclass(frozen=True)
class _Layout:
    """The draft cut into the lines the model words, and how to put it back together."""

    sender: str
    subject: _Unit | None
    body: list[list[_Unit]]
    """Paragraph lines (the body's own line breaks), each a list of sentences."""

    @property
    def units(self) -> list[_Unit]:
        """Every unit, subject first."""
        return [*([self.subject] if self.subject else []), *(u for line in self.body for u in line)]

    @property
    def free(self) -> list[_Unit]:
        """The units the model words."""
        return [u for u in self.units if not u.fixed]

    def assemble(self, words: Sequence[str | None]) -> TemplateText:
        """The template with the free units in ``words`` (None: as the draft had it)."""
        given = iter(words)
        chosen = {id(u): next(given, None) for u in self.free}

        def text(unit: _Unit) -> str:
            word = chosen.get(id(unit))
            return unit.text if word is None else word

        body = "\n".join(" ".join(text(u) for u in line) for line in self.body)
        return TemplateText(
            subject=text(self.subject) if self.subject else None, body=self.sender + body
        )


def _pieces(line: str) -> list[str]:
    """A body line's sentences, the SMS opt-out one of its own (so that the call to action
    it often follows stays the model's to word)."""
    pieces: list[str] = []
    for sentence in sentences(line):
        before, found, after = sentence.partition(OPT_OUT)
        pieces += [p for p in (before.strip(), found, after.strip()) if p]
    return pieces


def _layout(draft: TemplateText, request: CampaignRequest, sender: str) -> _Layout:
    body = draft.body
    prefix = ""
    found = _SENDER_PREFIX.match(body)
    if request.channel == "sms" and found and found.group(1) == sender:
        prefix, body = body[: found.end()], body[found.end() :]
    first = True

    def unit(text: str, role: str | None = None) -> _Unit:
        nonlocal first
        shown, slots = _slotted(text, request)
        words = re.findall(r"[^\W\d_]{2,}", _TOKEN.sub("", shown))
        fixed = bool(STOP_WORD.search(text)) or len(words) < 2
        made = _Unit(text, shown, slots, fixed, role or _role(text, slots, first))
        first = first and fixed
        return made

    subject = unit(draft.subject, "subject") if draft.subject else None
    lines = [[unit(s) for s in _pieces(line)] for line in body.split("\n")]
    return _Layout(prefix, subject, lines)


def _filled(unit: _Unit, line: str) -> tuple[str | None, str | None, str]:
    """The model's line with its slots filled, or None and what is wrong with it (the
    rule it breaks, and the failing span quoted)."""
    line = _NUMBERING.sub("", line.strip()).strip()
    quoted = f'"{line[:80]}"'
    if not line:
        return None, "malformed", "an empty line"
    slots = dict(unit.slots)
    unknown = [t for t in _TOKEN.findall(line) if f"{{{t}}}" not in slots]
    if unknown:
        names = ", ".join(slots) or "none"
        return None, "placeholders", f"{quoted} has {{{unknown[0]}}}, an unknown slot ({names})"
    missing = [t for t in slots if t not in line]
    if missing:
        kind = "placeholders" if missing[0] in {"{link}", "{first_name}"} else "offer facts"
        return None, kind, f"{quoted} leaves out {missing[0]} ({slots[missing[0]]})"
    bare = _TOKEN.sub("", line)
    stated = _STATED_NUMBER.search(bare)
    if stated:
        return (
            None,
            "offer facts",
            (
                f"{quoted} states {stated.group(0)}, which the draft does not: numbers only "
                "through the slots"
            ),
        )
    if URL.search(bare):
        return None, "links", f"{quoted} has a link of its own: {{link}} only"
    for token, value in slots.items():
        line = line.replace(token, value)
    return line, None, ""


def _hard(template: TemplateText, context: RuleContext) -> dict[str, str]:
    fixed, _ = repair(template, context)
    return {v.message: v.rule for v in hard_violations(check(fixed, context))}


@dataclass
class _Judged:
    """One candidate wording, checked line by line."""

    words: list[str | None]
    reverted: list[str]
    template: TemplateText

    @property
    def kept(self) -> int:
        return sum(w is not None for w in self.words)


def _judge_wording(
    layout: _Layout, lines: Sequence[str], context: RuleContext, grounded: dict[str, str]
) -> _Judged:
    """The model's lines, each checked (its slots kept, no fact of its own, no hard rule
    broken that the draft does not break, after the repairs the rule check makes); a line
    that fails is put back as the draft had it: repaired, not retried."""
    free = layout.free
    words: list[str | None] = []
    reverted: list[str] = []
    for i, unit in enumerate(free):
        number = i + 1
        if i >= len(lines):
            words.append(None)
            reverted.append(f"malformed: line {number} missing")
            continue
        line, rule, why = _filled(unit, lines[i])
        if line is None:
            words.append(None)
            reverted.append(f"{rule}: line {number} {why}")
            continue
        alone: list[str | None] = [None] * len(free)
        alone[i] = line
        new = {
            m: r
            for m, r in _hard(layout.assemble(alone), context).items()
            if m not in grounded and r != "channel_length"
        }
        if new:
            message, rule_name = next(iter(new.items()))
            rule_label = rule_name.replace("_", " ")
            reverted.append(f'{rule_label}: line {number} "{line[:80]}": {message}')
            words.append(None)
            continue
        words.append(None if line == unit.text else line)
    # The channel's length is the message's, not a line's: the lines that grew most go back
    # first, until it fits.
    while True:
        broken = {
            m
            for m, r in _hard(layout.assemble(words), context).items()
            if m not in grounded and r == "channel_length"
        }
        if not broken:
            break
        grown = [
            (len(w) - len(u.text), i)
            for i, (u, w) in enumerate(zip(free, words, strict=True))
            if w is not None
        ]
        if not grown:
            break
        _, i = max(grown)
        reverted.append(f"channel length: line {i + 1} put back to fit ({next(iter(broken))})")
        words[i] = None
    return _Judged(words, reverted, layout.assemble(words))


_IMPERATIVE_NOT = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "we",
        "our",
        "you",
        "your",
        "they",
        "their",
        "he",
        "she",
        "i",
        "my",
        "there",
        "here",
        "message",
        "messages",
        "copy",
        "text",
        "template",
        "templates",
        "customers",
        "customer",
        "pattern",
        "patterns",
        "lift",
        "evidence",
        "data",
        "shoppers",
        "people",
        "buyers",
        "audience",
        "offers",
    ]
)
_ACTION_WORDS = frozenset(["don't", "dont", "never", "always", "do"])


def _is_action(text: str) -> bool:
    """Whether a step starts with a verb in the imperative ("Lead with ...", "Keep ...",
    "Don't ..."): not a pronoun, a determiner, a noun the advice is about, or a word in
    -ing, -ed or -s."""
    words = re.findall(r"[A-Za-z']+", _NUMBERING.sub("", text.strip()))
    if not words:
        return False
    first = words[0].lower()
    if first in _ACTION_WORDS:
        return True
    if first in _IMPERATIVE_NOT or first.endswith(("ing", "ed", "ly")):
        return False
    return not (first.endswith("s") and not first.endswith(("ss", "us")))


def _repeats(text: str, message: str) -> bool:
    """Whether a step is mostly the message's own words, in the message's order."""
    words = re.findall(r"\w+", text.lower())
    theirs = re.findall(r"\w+", message.lower())
    if len(words) < 4:
        return False
    matcher = difflib.SequenceMatcher(a=words, b=theirs, autojunk=False)
    shared = sum(block.size for block in matcher.get_matching_blocks() if block.size >= 3)
    return shared / len(words) >= 0.5


def check_steps(
    steps: Sequence[DraftStep],
    message: TemplateText,
    names: Mapping[str, Sequence[str]],
    grounded: str,
) -> tuple[list[DraftStep], list[str]]:
    """The guidance steps that pass the checks copy passes, and the reason for each one
    refused: it must start with an action, name a pattern from ``names`` (each with the
    evidence ids it may cite), cite no other evidence, quote no number that is not in
    ``grounded``, and not repeat the message. A step with no evidence cites its
    pattern's."""
    kept: list[DraftStep] = []
    refused: list[str] = []
    text = f"{message.subject or ''}\n{message.body}"
    for number, step in enumerate(steps, start=1):
        label = f'guidance: step {number} "{step.text[:60]}"'
        pattern = step.pattern.strip()
        if pattern not in names:
            refused.append(
                f"{label} names no pattern from the list"
                + (f" ({pattern!r} is not one)" if pattern else "")
            )
            continue
        unknown = [e for e in step.evidence if e not in names[pattern]]
        if unknown:
            refused.append(f"{label} cites unknown evidence {unknown[0]} (not {pattern}'s)")
            continue
        invented = ungrounded_numbers(step.text, grounded)
        if invented:
            refused.append(f"{label} quotes {invented[0]}, a number not in the patterns")
            continue
        if not _is_action(step.text):
            refused.append(f"{label} has no action: start it with a verb")
            continue
        if _repeats(step.text, text):
            refused.append(f"{label} repeats the message instead of advising on it")
            continue
        evidence = list(step.evidence) or list(names[pattern][:3])
        kept.append(step.model_copy(update={"text": step.text.strip(), "evidence": evidence}))
    return kept, refused


def limits_of(channel: str, sms_segments: int) -> str:
    """A channel's limits as a prompt states them."""
    limits = LIMITS[channel]
    if channel == "sms":
        return f"the whole SMS fits {sms_segments} segment(s) of 160 characters"
    subject = f", subject at most {limits.subject_chars}" if limits.subject_chars else ""
    return f"body at most {limits.body_chars} characters{subject}"


def pattern_names(
    patterns: Sequence[Pattern], plan: WritePlan, evidence_ids: Sequence[str]
) -> tuple[dict[str, list[str]], str]:
    """The names a guidance step may act on, each with the evidence ids it may cite, and
    the list as the model sees it (a line each: name, lift, sends, a few ids). With no
    patterns (the rules fallback), the plan's best-practice features, with no evidence."""
    allowed = set(evidence_ids)
    if patterns:
        names = {p.name: [e for e in p.evidence if e in allowed] for p in patterns}
        listed = "\n".join(
            f"- {p.name}: {p.lift:.2f}x, n={p.sample_size}, "
            + (", ".join(names[p.name][:3]) or "no ids")
            for p in patterns[:8]
        )
        return {n: names[n] for n in [p.name for p in patterns[:8]]}, listed
    features = [*plan.use, *(f"avoid_{f}" for f in sorted(plan.avoid))]
    return {f: [] for f in features}, "\n".join(f"- {f}: best practice, no ids" for f in features)


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
    layout = _layout(draft, request, sender_of(merchant, request))
    grounded = _hard(draft, context)
    names, listed = pattern_names(patterns, plan, evidence_ids)
    weights = pattern_weights(patterns, None if plan is None else plan.overrules)
    free = layout.free
    checked: dict[int, tuple[_Judged, list[DraftStep], list[str], int]] = {}

    def evaluate(answer: ModelDraft | ModelDrafts) -> list[str]:
        wordings = (
            [w.lines for w in answer.candidates]
            if isinstance(answer, ModelDrafts)
            else [answer.lines]
        )
        judged = [_judge_wording(layout, lines, context, grounded) for lines in wordings]
        usable = [j for j in judged if j.kept or not free]
        steps, refused = check_steps(
            answer.guidance,
            (usable or judged or [_Judged([], [], draft)])[0].template,
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
