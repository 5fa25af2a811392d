"""The grounded draft's lines as the writer model words them: each fact (the offer, the
code, a date, a number, a placeholder) held in a named slot the model must keep, the
model's lines filled back in and checked, and a line that fails put back as the draft had
it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from tools.domain import CampaignRequest, TemplateText
from tools.message.offers import offer_phrase
from tools.message.rules import (
    OPT_OUT,
    STOP_WORD,
    URL,
    RuleContext,
    check,
    hard_violations,
    repair,
)
from tools.message.text import sentences

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
NUMBERING = re.compile(r"^\s*\d+\s*(?:\([^)]*\))?\s*[:.)-]\s*")
"""The number a model may put before a line or a step, as the prompt has them ("2 (offer): ")."""
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


def layout_of(draft: TemplateText, request: CampaignRequest, sender: str) -> _Layout:
    """The draft cut into its units (the subject, each body line's sentences), an SMS's
    sender prefix set aside."""
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
    line = NUMBERING.sub("", line.strip()).strip()
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


def hard(template: TemplateText, context: RuleContext) -> dict[str, str]:
    """The hard rules a template breaks after the rule check's repairs: message to rule."""
    fixed, _ = repair(template, context)
    return {v.message: v.rule for v in hard_violations(check(fixed, context))}


@dataclass
class Judged:
    """One candidate wording, checked line by line."""

    words: list[str | None]
    reverted: list[str]
    template: TemplateText

    @property
    def kept(self) -> int:
        return sum(w is not None for w in self.words)


def judge_wording(
    layout: _Layout, lines: Sequence[str], context: RuleContext, grounded: dict[str, str]
) -> Judged:
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
            for m, r in hard(layout.assemble(alone), context).items()
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
            for m, r in hard(layout.assemble(words), context).items()
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
    return Judged(words, reverted, layout.assemble(words))
