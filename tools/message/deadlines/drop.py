"""Dropping the claims the voucher does not back, each with the smallest piece of its sentence
that leaves natural text; offer numbers, codes, placeholders, links and the opt-out line are
never cut.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from tools.message.deadlines.claims import DeadlineClaim, deadline_claims

_PROTECTED = re.compile(
    r"\{[^{}]*\}"
    r"|\bhttps?://\S+|\bwww\.\S+"
    r"|\b[\w-]+\.(?:com|co|net|org|shop|store|io|de|fr|es|uk|ca|au|eu)\b(?:/\S*)?"
    r"|[$€£¥]\s?\d+(?:[.,]\d+)?"
    r"|\d+(?:[.,]\d+)?\s?(?:%|percent\b|[$€£]|euros?\b|dollars?\b|usd\b|eur\b|折)"
    r"|\bhalf[- ](?:price|off)\b|\bfree\s+(?:shipping|delivery|gift|returns)\b|\bbogo\b"
    r"|\b(?:reply|text|txt|send)\s+stop\b[^.!?\n]*[.!?]?|\bopt[- ]out\b|\bunsubscribe\b",
    re.IGNORECASE,
)
_PROTECTED_CASED = re.compile(
    r"\b[Cc]ode\b[:\s]+(?:[A-Z0-9_-]{3,32}|(?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{2,32})\b"
    r"|\b(?=[A-Z0-9_-]*\d)(?=[A-Z0-9_-]*[A-Z])[A-Z0-9_-]{4,32}\b|\bSTOP\b"
)
_BOUNDARY = re.compile(r"[.!?…]+[\"'”\u2019)]*(?=\s|$)|[。\uff01\uff1f]+|\n")
# What ties a claim to the words before it: ", but it's valid until", " — only".
_GLUE = re.compile(
    r"(?:\s*[,;\uff0c\uff1b]|\s+[\u2013—-]+|\s*[\u2013—])?\s*[¡¿]?\s*"
    r"(?:\b(?:and|but|so|which|that)\s+)?"
    r"(?:\b(?:it['\u2019]s|that['\u2019]s|there['\u2019]s|there\s+(?:is|are)|you['\u2019]ve|"
    r"you\s+have|we\s+have|it|this|that)\s+)?"
    r"(?:\b(?:is|are)\s+)?"
    r"(?:\b(?:only|just|valid|good|available|live|running|on)\s+)?"
    r"(?:\b(?:ends?|ending|expires?|expiring|runs?|lasts?|closes?)\s+)?$",
    re.IGNORECASE,
)
# After a claim that opened its sentence: "Last chance: ", "Ends tonight, so ", "... to ".
_OPENING_TAIL = re.compile(
    r"\s*(?:[:,;\uff1a\uff0c\uff1b\u2013—-]+|\.\.\.|…)?\s*"
    r"(?:(?:so|and|but|then)\s+)?(?:(?:to|for|of)\s+(?=\w))?",
    re.IGNORECASE,
)
_SOFT_LEAD = re.compile(
    r"^[\W_]*(?:(?:hurry(?:\s+up)?|quick|psst|heads\s+up|act\s+fast|don['\u2019]t\s+wait|"
    r"don['\u2019]t\s+miss\s+out)[\W_]*)+$",
    re.IGNORECASE,
)
_SUBJECT = re.compile(
    r"^[^\w{]*(?:(?:the|this|our|your)\s+)?(?:[\w'\u2019-]+\s+){0,3}?"
    r"(?:sale|offer|deal|discount|promo|event|savings|code|prices?)\s*$"
    r"|^[^\w{]*(?:it|everything)\s*$",
    re.IGNORECASE,
)
_FILLER_WORDS = """
    hurry up quick quickly fast act now don't dont do not wait miss out it it's its this that
    the our your a an sale offer deal deals discount promo event savings is are and but so only
    just psst heads oh yes valid good available on ends ending soon while lasts grab get them
    before gone you there still schnell jetzt beeil dich das angebot die aktion der vite
    dépêchez-vous l'offre offre la le rápido corre date prisa oferta el es 赶快 抓紧 快 速抢
    别错过"""
_FILLER = frozenset(_FILLER_WORDS.split())
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class _Cut:
    start: int
    end: int
    claims: tuple[str, ...]
    """The phrases of the claims the cut removes."""
    capitalise: bool = False


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for boundary in _BOUNDARY.finditer(text):
        end = boundary.start() if boundary.group() == "\n" else boundary.end()
        spans.append((start, end))
        start = boundary.end()
    spans.append((start, len(text)))
    trimmed = []
    for start, end in spans:
        while start < end and text[start].isspace():
            start += 1
        if start < end:
            trimmed.append((start, end))
    return trimmed


def _protected_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _PROTECTED.finditer(text)]
    return spans + [m.span() for m in _PROTECTED_CASED.finditer(text)]


def _touches(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < span_end and span_start < end for span_start, span_end in spans)


def _is_filler(residue: str) -> bool:
    if re.search(r"\d", residue):
        return False
    words = re.findall(r"[^\W\d_][\w'\u2019-]*", residue)
    return all(word.lower().replace("\u2019", "'") in _FILLER for word in words)


def _glue_start(text: str, sentence_start: int, claim_start: int) -> int:
    match = _GLUE.search(text, sentence_start, claim_start)
    return match.start() if match else claim_start


def _first_word(text: str, start: int, end: int) -> int:
    match = _WORD.search(text, start, end)
    return match.start() if match else end


def _clause_cut(text: str, start: int, end: int, glue: int, claim: DeadlineClaim) -> _Cut:
    """The smallest piece of a sentence to remove with a claim, so the rest reads well."""
    before = text[start:glue]
    after = text[claim.end : end]
    phrase = (claim.phrase,)
    opening = not re.search(r"\w", before) or _SOFT_LEAD.match(before)
    subject = _SUBJECT.match(before) is not None
    if opening or (subject and re.match(r"\s*[,;]", after)):
        cut_start = glue if not re.search(r"\w", before) else _first_word(text, start, glue)
        tail = _OPENING_TAIL.match(text, claim.end, end)
        return _Cut(cut_start, tail.end() if tail else claim.end, phrase, capitalise=True)
    if subject and re.match(r"\s*(?:[:\u2013—-]|[.!?…]*\s*$)", after):
        return _Cut(glue, claim.end, phrase)
    if re.search(r"[:\uff1a]\s*$", before):  # after a label: "Knix: Last day! 20% off"
        if re.fullmatch(r"\s*[.!?…]*\s*", after):
            return _Cut(glue, end, phrase, capitalise=True)
        tail = _OPENING_TAIL.match(text, claim.end, end)
        return _Cut(glue, tail.end() if tail else claim.end, phrase, capitalise=True)
    separated = re.match(r"\s*[,;\uff0c\uff1b\u2013—-]", text[glue : claim.start]) is not None
    if separated and re.match(r"\s*[,;]", after):
        return _Cut(glue, claim.end + after.index(after.lstrip()[0]) + 1, phrase)
    if "¡" in text[glue : claim.start] and re.match(r"\s*!", after):
        return _Cut(glue, claim.end + after.index("!") + 1, phrase)
    leads_on = re.match(r"\s+to\s+(?=\w)", after)
    if leads_on:
        clause = re.match(r"[^,;:.!?…—\u2013]*", after)
        clause_end = claim.end + (clause.end() if clause else 0)
        words = len(text[claim.end : clause_end].split())
        if words <= 6 and not _touches(claim.end, clause_end, _protected_spans(text)):
            return _Cut(glue, clause_end, phrase)
        if separated:
            separator = re.match(r"\s*[,;\uff0c\uff1b\u2013—-]+", text[glue:])
            assert separator is not None
            return _Cut(glue + separator.end(), claim.end + leads_on.end(), phrase)
    return _Cut(glue, claim.end, phrase)


def _sentence_cuts(
    text: str,
    start: int,
    end: int,
    claims: Sequence[DeadlineClaim],
    protected: Sequence[tuple[int, int]],
) -> list[_Cut]:
    glues = [_glue_start(text, start, claim.start) for claim in claims]
    residue, last = [], start
    for glue, claim in zip(glues, claims, strict=True):
        residue.append(text[last:glue])
        last = max(last, claim.end)
    residue.append(text[last:end])
    if _is_filler("".join(residue)) and not _touches(start, end, protected):
        return [_Cut(start, end, tuple(claim.phrase for claim in claims))]
    cuts = []
    for glue, claim in zip(glues, claims, strict=True):
        cut = _clause_cut(text, start, end, glue, claim)
        if _touches(cut.start, cut.end, protected):
            cut = _Cut(claim.start, claim.end, (claim.phrase,))
        if not _touches(cut.start, cut.end, protected):
            cuts.append(cut)
    return cuts


def _merge(cuts: Sequence[_Cut]) -> list[_Cut]:
    merged: list[_Cut] = []
    for cut in sorted(cuts, key=lambda c: (c.start, -c.end)):
        if merged and cut.start <= merged[-1].end:
            last = merged[-1]
            claims = last.claims + cut.claims
            merged[-1] = _Cut(last.start, max(last.end, cut.end), claims, last.capitalise)
        else:
            merged.append(cut)
    return merged


def _is_cjk(char: str) -> bool:
    return "\u2e80" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef"


def _join(left: str, right: str) -> str:
    """Two pieces of text around a removed one, with one space, or none, between them."""
    bare_left, bare_right = left.rstrip(" \t"), right.lstrip(" \t")
    if not bare_left or bare_left.endswith("\n"):
        return bare_left + bare_right
    if not bare_right or bare_right.startswith("\n"):
        return bare_left + bare_right
    if bare_left[-1] in ",;:\uff0c\uff1b\uff1a" and bare_right[0] in ".!?,;。\uff01\uff1f":
        bare_left = bare_left[:-1].rstrip(" \t")
        if not bare_left:  # the piece was a lone comma: nothing stands before the rest
            return bare_right
    if bare_left[-1] in ".!?。\uff01\uff1f" and bare_right[0] in ".,;:。\uff0c":
        bare_right = bare_right[1:].lstrip(" \t")
        return _join(bare_left, bare_right)
    if bare_right[0] in ".,。\uff0c\uff1b、":
        return bare_left + bare_right
    if bare_right[0] in "!?;:\uff01\uff1f\uff1a":
        return bare_left + right[: len(right) - len(bare_right)] + bare_right
    if bare_left[-1] in '¡¿(["“\u2018' or _is_cjk(bare_left[-1]) or _is_cjk(bare_right[0]):
        return bare_left + bare_right
    return f"{bare_left} {bare_right}"


def _capitalised(text: str) -> str:
    match = re.match(r"[\s¡¿\"“\u2018'(]*", text)
    at = match.end() if match else 0
    word = re.match(r"[^\W\d_][\w'\u2019-]*", text[at:])
    if (
        word is None
        or not word.group()[0].islower()
        or word.group()[1:] != word.group()[1:].lower()
    ):
        return text
    return text[:at] + text[at].upper() + text[at + 1 :]


def _apply(text: str, cuts: Sequence[_Cut]) -> tuple[str, list[str]]:
    """The text with the cuts made (right to left, so earlier offsets hold), and what went."""
    merged = _merge(cuts)
    removed = [phrase for cut in merged for phrase in cut.claims]
    result = text
    for cut in reversed(merged):
        start, end = cut.start, cut.end
        line_start = result.rfind("\n", 0, start) + 1
        line_end = result.find("\n", end)
        line_end = len(result) if line_end < 0 else line_end
        if not result[line_start:start].strip() and not result[end:line_end].strip():
            if line_end < len(result):
                start, end = line_start, line_end + 1
            elif line_start > 0:
                start, end = line_start - 1, line_end
        right = result[end:]
        result = _join(result[:start], _capitalised(right) if cut.capitalise else right)
    if "\n\n\n" not in text:
        result = re.sub(r"\n{3,}", "\n\n", result)
    return result.strip(), removed


def drop_unsupported(text: str, expires: date | None, send_date: date) -> tuple[str, list[str]]:
    """The text without the deadline claims the voucher does not back, and what was removed.

    Each claim goes with the smallest piece that leaves natural text: a sentence that says
    nothing else ("Ends tonight!") goes whole, otherwise the clause ("30% off for the next 2
    hours" keeps "30% off"). Offer numbers, codes, placeholders, links and the opt-out line
    are never removed; a claim inside one of them stays.
    """
    removed: list[str] = []
    while True:  # a cut can join words into a new claim ("48-hour ... sale"): read again
        unsupported = [c for c in deadline_claims(text) if not c.holds(expires, send_date)]
        if not unsupported:
            break
        protected = _protected_spans(text)
        cuts: list[_Cut] = []
        for start, end in _sentence_spans(text):
            inside = [claim for claim in unsupported if start <= claim.start < end]
            if inside:
                cuts += _sentence_cuts(text, start, end, inside, protected)
        if not cuts:
            break
        before = text
        text, gone = _apply(text, cuts)
        removed += gone
        if text == before:  # every claim left sits inside what is never cut
            break
    return text, removed
