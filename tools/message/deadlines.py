"""Deadline claims: "today only", "ends tonight", "next 2 hours", "ends Sunday" and the like.

A deadline is an offer fact: the copy must not say an offer ends sooner (or later) than the
voucher does. ``deadline_claims`` finds the relative deadlines a text states (explicit dates
such as "Dec 31" are checked in ``tools.message.offers``), ``deadline_errors`` names each one the
voucher's expiry does not back, and ``drop_unsupported`` removes them so the rest still reads
naturally. Soft urgency ("hurry", "limited time", "don't wait", "ends soon") states no
deadline and is left alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

_FLAGS = re.IGNORECASE | re.MULTILINE
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKEND = frozenset({5, 6})
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "twentyfour": 24,
    "thirtysix": 36,
    "fortyeight": 48,
    "seventytwo": 72,
}


@dataclass(frozen=True)
class DeadlineClaim:
    """One relative deadline in a text, and when the voucher must expire for it to be true.

    ``earliest_days`` and ``latest_days`` bound the expiry in days after the send date (0 is
    the send day itself); ``weekdays``, when not empty, also fixes the expiry's weekday
    (Monday is 0), as "ends Sunday" or "this weekend only" do.
    """

    phrase: str
    """The claim exactly as the text writes it."""
    start: int
    end: int
    earliest_days: int
    latest_days: int
    weekdays: frozenset[int] = frozenset()

    def holds(self, expires: date | None, send_date: date) -> bool:
        """Whether a voucher expiring on ``expires`` (None: never) makes the claim true."""
        if expires is None:
            return False
        days = (expires - send_date).days
        in_range = self.earliest_days <= days <= self.latest_days
        return in_range and (not self.weekdays or expires.weekday() in self.weekdays)


_Window = tuple[int, int, frozenset[int]]


def _fixed(earliest: int, latest: int) -> Callable[[re.Match[str]], _Window]:
    return lambda _match: (earliest, latest, frozenset())


def _count(match: re.Match[str]) -> int:
    word = re.sub(r"[\s-]", "", match["n"].lower())
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def _hours(match: re.Match[str]) -> _Window:
    """N hours from any time of the send day end on day ceil(N/24) at the latest, and no
    more than a day before it: "next 2 hours" is the send day or the next."""
    latest = max(1, math.ceil(_count(match) / 24))
    return latest - 1, latest, frozenset()


def _days(match: re.Match[str]) -> _Window:
    """Days left may count the send day or not: "3 days left" expires 2 or 3 days on."""
    count = _count(match)
    return max(0, count - 1), count, frozenset()


def _weekday(match: re.Match[str]) -> _Window:
    return 0, 7, frozenset({_WEEKDAYS.index(match["wd"].lower())})


def _weekend(_match: re.Match[str]) -> _Window:
    return 0, 7, _WEEKEND


_NUM = (
    r"\b(?P<n>\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"twenty[- ]?four|thirty[- ]?six|forty[- ]?eight|seventy[- ]?two)"
)
_H = rf"{_NUM}(?:\s*-?\s*(?:hours?|hrs?)\b|(?<=\d)h\b)"
_D = rf"{_NUM}\s*-?\s*days?\b"
_LEFT = r"(?:left|to go|remaining|only)\b"
_TO_ACT = r"(?=\s+to\s+(?:shop|save|claim|get|grab|use|redeem|buy|order|score|snag|treat)\b)"
_SALE_NOUN = r"(?=\s+(?:flash\s+)?(?:sale|deal|event|offer|discount|window|special|drop|promo)\b)"
_WD = r"(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_ENDS = r"(?:ends?|ending|expires?|expiring|closes?|closing|finishes|over|gone)"
_AUJ = r"aujourd['\u2019]hui"
_FR_END = r"(?:se\s+termine|termine|finit|prend\s+fin|expire|s['\u2019]ach[eè]ve)"
_ES_END = r"(?:termina|acaba|finaliza|vence|expira)"


def _span(unit: str) -> list[str]:
    """The ways English states a span of hours or days."""
    return [
        rf"(?:\b(?:for|in|within|over|during)\s+)?(?:\bthe\s+)?\b(?:next|last|final)\s+{unit}"
        r"(?:\s+only\b)?",
        rf"(?:\b(?:only|just)\s+)?{unit}\s+{_LEFT}",
        rf"(?:\b(?:for|in|within)\s+)?\b(?:only|just)\s+{unit}(?:\s+{_LEFT})?",
        rf"\b{_ENDS}\s+(?:in|within)\s+(?:the\s+next\s+|just\s+|only\s+)?{unit}",
        rf"\b(?:for|in|within)\s+{unit}(?:\s+only\b)?",
        rf"{unit}{_TO_ACT}",
        rf"(?:^|(?<=[.!?]\s))(?:only\s+|just\s+)?{unit}(?=\s*(?:[.!:\u2013—-]|$))",
    ]


_PATTERNS: list[tuple[str, Callable[[re.Match[str]], _Window]]] = [
    # English: the send day
    *(
        (pattern, _fixed(0, 0))
        for pattern in (
            r"\b(?:(?:for|valid|good|available)\s+)?(?:today|tonight)\s+only\b",
            r"\b(?:only|just)\s+(?:for\s+)?(?:today|tonight)\b",
            rf"\b{_ENDS}\s+(?:at\s+midnight\s+)?(?:today|tonight)\b(?:\s+at\s+midnight)?",
            r"\b(?:ends?|ending|expires?|expiring|closes?|closing)\s+(?:at\s+)?midnight\b"
            r"(?:\s+tonight)?",
            r"\b(?:until|till|'til|til|by|through)\s+(?:midnight|tonight|the\s+end\s+of\s+"
            r"(?:the\s+)?(?:day|today))\b(?:\s+(?:tonight|only)\b)?",
            r"(?:\btoday(?:['\u2019]s|\s+is)\s+)?(?:\bthe\s+|\byour\s+)?\b(?:last|final)\s+day\b",
        )
    ),
    # English: within a day
    *(
        (pattern, _fixed(0, 1))
        for pattern in (
            r"\b(?:last|final)\s+(?:chance|call)\b",
            r"\b(?:last|final)\s+(?:few\s+)?hours\b",
            r"\b(?:only|just)\s+(?:a\s+few\s+)?hours\s+(?:left|to go|remaining)\b",
            r"\b(?:(?:only|just)\s+)?(?:until|till)\s+tomorrow\b(?:\s+(?:night|at\s+midnight))?",
        )
    ),
    # English: the day after
    *(
        (pattern, _fixed(1, 1))
        for pattern in (
            rf"\b{_ENDS}\s+tomorrow\b(?:\s+(?:night|at\s+midnight))?",
            r"\btomorrow\s+only\b",
            r"\b(?:only|just)\s+tomorrow\b",
            r"\b(?:through|thru)\s+tomorrow\b(?:\s+night)?",
        )
    ),
    # English: hours, days
    *((pattern, _hours) for pattern in _span(_H)),
    *((pattern, _days) for pattern in _span(_D)),
    (rf"{_NUM}[\s-]hours?{_SALE_NOUN}", _hours),
    (rf"{_NUM}[\s-]days?{_SALE_NOUN}", _days),
    # English: a weekday, the weekend
    (
        r"\b(?:ends?|ending|expires?|expiring|closes?|until|till|through|thru)\s+"
        rf"(?:this\s+|on\s+)?{_WD}\b(?:\s+(?:night|at\s+midnight))?",
        _weekday,
    ),
    (rf"\b(?:this\s+)?{_WD}\s+only\b", _weekday),
    (rf"\b(?:only|just)\s+(?:this\s+|on\s+)?{_WD}\b", _weekday),
    (r"\b(?:this\s+)?weekend\s+only\b", _weekend),
    (r"\b(?:only|just)\s+(?:this\s+)?weekend\b", _weekend),
    (r"\b(?:ends?|ending|until|till|through|thru)\s+(?:the\s+|this\s+)?weekend\b", _weekend),
    (r"\ball\s+weekend(?:\s+long)?\b", _weekend),
    # German
    *(
        (pattern, _fixed(0, 0))
        for pattern in (
            r"\bnur\s+(?:noch\s+)?heute\b",
            r"\bheute\s+nur\b",
            r"\b(?:endet|enden)\s+(?:schon\s+|bereits\s+)?heute\b",
            r"\bheute\s+(?:endet|enden)\b",
            r"\bläuft\s+heute\s+ab\b",
            r"\bgültig\s+(?:nur\s+)?bis\s+heute\b",
            r"\bbis\s+(?:heute\s+)?mitternacht\b",
            r"\b(?:heute\s+ist\s+)?(?:der\s+)?letzte[rn]?\s+tag\b",
        )
    ),
    (r"\bletzte\s+(?:chance|stunden)\b", _fixed(0, 1)),
    (r"\b(?:nur(?:\s+noch)?|gilt|gültig)\s+bis\s+morgen\b", _fixed(0, 1)),
    (r"\b(?:endet|enden)\s+morgen\b", _fixed(1, 1)),
    (r"\b(?:nur\s+(?:noch\s+)?|noch\s+)(?P<n>\d{1,3})\s*stunden\b", _hours),
    (r"\b(?:nur\s+(?:noch\s+)?|noch\s+)(?P<n>\d{1,3})\s*tage?\b", _days),
    # French
    *(
        (pattern, _fixed(0, 0))
        for pattern in (
            rf"\b{_AUJ}\s+(?:seulement|uniquement)\b",
            rf"\b(?:seulement|uniquement)\s+{_AUJ}",
            rf"\b{_FR_END}\s+{_AUJ}",
            rf"\bvalable\s+(?:seulement\s+|uniquement\s+)?{_AUJ}",
            r"\bjusqu['\u2019](?:à|a)\s+minuit\b",
            r"\bce\s+soir\s+(?:seulement|uniquement)\b",
            rf"\b{_FR_END}\s+ce\s+soir\b",
            r"\bdernier\s+jour\b",
        )
    ),
    (r"\bderni[eè]re\s+chance\b|\bderni[eè]res\s+heures\b", _fixed(0, 1)),
    (rf"\b{_FR_END}\s+demain\b", _fixed(1, 1)),
    (r"\b(?:plus\s+que|encore|seulement|pendant)\s+(?P<n>\d{1,3})\s*(?:heures|h)\b", _hours),
    (r"\b(?P<n>\d{1,3})\s*heures\s+(?:seulement|uniquement)\b", _hours),
    # Spanish
    *(
        (pattern, _fixed(0, 0))
        for pattern in (
            r"\bs[oó]lo\s+(?:por\s+)?hoy\b",
            r"\bhoy\s+s[oó]lo\b",
            r"\b(?:solamente|[uú]nicamente)\s+(?:por\s+)?hoy\b",
            rf"\b{_ES_END}\s+hoy\b",
            rf"\bhoy\s+{_ES_END}\b",
            r"\bv[aá]lid[oa]\s+(?:s[oó]lo\s+)?(?:hasta\s+)?hoy\b",
            r"\bhasta\s+(?:la\s+)?medianoche\b",
            r"\b(?:hoy\s+es\s+el\s+)?[uú]ltimo\s+d[ií]a\b",
        )
    ),
    (r"\b[uú]ltimas\s+horas\b|\b[uú]ltima\s+oportunidad\b", _fixed(0, 1)),
    (rf"\b{_ES_END}\s+mañana\b", _fixed(1, 1)),
    (r"\b(?:s[oó]lo|quedan|[uú]ltimas|durante)\s+(?P<n>\d{1,3})\s*horas\b", _hours),
    # Chinese
    (r"(?:仅限|只限|仅|只有|限)(?:今天|今日|今晚)", _fixed(0, 0)),
    (r"(?:今天|今日|今晚)(?:\d{1,2}点|午夜|零点)?(?:截止|结束|到期|为止)", _fixed(0, 0)),
    (r"(?:(?:今天|今日)是)?最后一天", _fixed(0, 0)),
    (r"最后(?:机会|几个?小时)", _fixed(0, 1)),
    (r"(?:仅限|限时|只有|最后|仅剩|只剩|倒计时)\s*(?P<n>\d{1,3})\s*个?小时", _hours),
    (r"(?P<n>\d{1,3})\s*个?小时(?:内有效|限时|后结束|后截止|特惠|闪购|抢购)", _hours),
]
_COMPILED = [(re.compile(pattern, _FLAGS), window) for pattern, window in _PATTERNS]

# A span of time that is about delivery, returns, support or a start, not the offer ending.
_NOT_AN_END_BEFORE = re.compile(
    r"(?:\b(?:ships?|shipped|delivered|dispatch(?:ed|es)?|arrives?|arriving|respond(?:s|ed)?|"
    r"repl(?:y|ies)|refunded|starts?|starting|begins?|beginning|opens?|opening|launch(?:es|ing)?|"
    r"goes\s+live|restock(?:s|ed)?|in\s+stock|processed|answers?|(?:get|have|receive)\s+it)"
    r"\s+(?:\w+\s+)?"
    r"|\b(?:delivery|shipping|dispatch|response|replies)\s+)$",
    re.IGNORECASE,
)
_PAST = re.compile(
    r"\b(?:in|over|during|for|within|since)\s+the\s+last\s+(?!day\b|hours\b|chance\b|call\b|few\b)",
    re.IGNORECASE,
)
_CLOSED_BEFORE = re.compile(
    r"\b(?:closed|shut|away|out\s+of\s+(?:the\s+)?office)\s+$", re.IGNORECASE
)
_POLICY_BEFORE = re.compile(
    r"\b(?:returns?|refunds?|exchanges?|warranty|guarantee|trial|support)\s+(?:\w+\s+)?$",
    re.IGNORECASE,
)
_NOT_AN_END_AFTER = re.compile(
    r"^\s*(?:(?:to\s+(?:order|ship)\s+)?for\s+(?:[\w-]+\s+){0,2}(?:delivery|shipping|dispatch)\b"
    r"|a\s+(?:day|week)\b|/\s*7)",
    re.IGNORECASE,
)


def _is_deadline(text: str, start: int, end: int) -> bool:
    before = re.split(r"[.!?\n]", text[max(0, start - 40) : start])[-1]
    past = _PAST.search(before + text[start:end])
    if past and past.end() > len(before):  # "sold in the last 24 hours" looks back
        return False
    if re.match(r"(?:until|till|through)\b", text[start:end], re.I) and _CLOSED_BEFORE.search(
        before
    ):
        return False  # "closed until Monday" is the shop, not the offer
    lead = re.match(r"(?:in|within|by|for)\b", text[start:end], re.IGNORECASE)
    if lead and _POLICY_BEFORE.search(before):
        return False
    if lead and lead.group().lower() != "for" and _NOT_AN_END_BEFORE.search(before):
        return False
    return not _NOT_AN_END_AFTER.match(text[end : end + 40])


def deadline_claims(text: str) -> list[DeadlineClaim]:
    """The relative deadlines a text states, in order. Overlapping matches ("for 48 hours"
    and "48 hours only") are one claim, true only when both readings are."""
    found: list[tuple[int, int, _Window]] = []
    for pattern, window in _COMPILED:
        for match in pattern.finditer(text):
            start, end = match.span()
            if end > start and _is_deadline(text, start, end):
                found.append((start, end, window(match)))
    found.sort(key=lambda item: (item[0], -item[1]))
    merged: list[tuple[int, int, _Window]] = []
    for start, end, (earliest, latest, weekdays) in found:
        if merged and start < merged[-1][1]:
            last_start, last_end, (last_early, last_late, last_days) = merged[-1]
            days = last_days & weekdays if last_days and weekdays else last_days | weekdays
            merged[-1] = (
                last_start,
                max(last_end, end),
                (max(last_early, earliest), min(last_late, latest), days),
            )
        else:
            merged.append((start, end, (earliest, latest, weekdays)))
    return [
        DeadlineClaim(text[start:end], start, end, earliest, latest, weekdays)
        for start, end, (earliest, latest, weekdays) in merged
    ]


def _relative(days: int) -> str:
    if days == 0:
        return "the send date"
    if abs(days) == 1:
        return f"the day {'after' if days > 0 else 'before'} the send date"
    return f"{abs(days)} days {'after' if days > 0 else 'before'} the send date"


def _when(day: date, send_date: date, weekday: bool) -> str:
    named = f"{day:%A}, " if weekday else ""
    year = f", {day.year}" if day.year != send_date.year else ""
    return f"{named}{day:%b} {day.day}{year}"


def deadline_errors(
    text: str, expires: date | None, send_date: date, *, has_voucher: bool = False
) -> list[str]:
    """A sentence for each deadline claim in ``text`` the voucher's expiry does not back.

    ``expires`` is None when nothing ends: say ``has_voucher=True`` when there is a voucher
    (that simply never expires), for the more precise "the offer has no end date".
    """
    errors: list[str] = []
    for claim in deadline_claims(text):
        if claim.holds(expires, send_date):
            continue
        if expires is None:
            truth = "the offer has no end date" if has_voucher else "nothing in the request ends"
        else:
            days = (expires - send_date).days
            when = _when(expires, send_date, bool(claim.weekdays))
            verb = "runs until" if days >= 0 else "expired on"
            truth = f"the voucher {verb} {when} ({_relative(days)})"
        errors.append(f"says '{claim.phrase}' but {truth}")
    return errors


# --- removing claims -------------------------------------------------------------------------

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
