"""Reading deadline claims: the phrases, in English, German, French, Spanish and Chinese,
that say when an offer ends ("today only", "next 2 hours", "ends Sunday"), each with the
days after the send date it allows, and the spans of time that are about something else
(delivery, returns, "in the last 24 hours") left out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
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
