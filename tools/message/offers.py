"""Offer facts: how a voucher is stated in copy, and what a text claims about its offer.

The writer states offers only through ``offer_phrase`` (from the voucher record, never from
an exemplar), and the rule engine checks any text with ``offer_fact_errors``: every percent,
amount, threshold, date and code in the copy must match the voucher, and no other kind of
offer may be promised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from tools.domain import Voucher, VoucherType

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# A month name, or its abbreviation with an optional dot ("Dec. 31"), never a full stop,
# nor a word that only starts like one ("Market 2", "Decor 10").
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?:(?<=\b[a-z]{3})\.|\b)"
)
_DATE_MD = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.IGNORECASE)
_DATE_DM = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}", re.IGNORECASE)
_DATE_NUM = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/\d{2,4})?\b")
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s?(?:%|percent\b)", re.IGNORECASE)
_HALF = re.compile(r"\bhalf[- ](?:price|off)\b|\b50/50\b", re.IGNORECASE)
_MONEY = re.compile(
    r"(?:[$€£]\s?(\d+(?:[.,]\d{1,2})?))|(?:(\d+(?:[.,]\d{1,2})?)\s?(?:USD|EUR|dollars?\b|€|£))"
)
_ZHE = re.compile(r"(\d(?:\.\d)?)\s?折")
"""A Chinese discount: 8折 is 80% of the price, i.e. 20% off."""
_DATE_DOTTED = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(?:\d{2,4})?(?!\d)")
"""A German date, day first: 31.12. or 31.12.2026."""
DAY_FIRST = frozenset({"de", "fr", "es", "it", "nl", "pt"})
"""Locales that write a numeric date day first (31/12)."""
_CODE_AFTER = re.compile(
    r"\b(?i:code)\b[:\s]+([A-Za-z0-9_-]*[A-Z0-9_-][A-Za-z0-9_-]*|[a-z]{2,32}(?=[.,!;:)]|\s*$))"
)
"""A code after the word "code": one with a capital, a digit or a dash ("SAVE20",
"Promo5"), or a word in lower case that ends the clause ("use code welcome."), never the
next word of the sentence ("a promo code to order online")."""
_CODE_LIKE = re.compile(r"\b(?=[A-Z0-9_-]*\d)(?=[A-Z0-9_-]*[A-Z])[A-Z0-9_-]{4,32}\b")
_KIND_PHRASES: dict[VoucherType, re.Pattern[str]] = {
    VoucherType.FREE_SHIPPING: re.compile(
        r"free (?:shipping|delivery)|(?:shipping|delivery) (?:is )?on us|ships? free", re.I
    ),
    VoucherType.BOGO: re.compile(
        r"buy (?:one|1|an?)\b[^.!?]{0,20}?\bget (?:one|1|another|a second)\b|\bbogo\b"
        r"|(?:two|2) for (?:the price of )?(?:one|1)\b|\b1\+1\b"
        r"|get (?:one|1|another|a second)(?: \w+)? (?:free|on us)",
        re.I,
    ),
    VoucherType.GIFT: re.compile(
        r"free gift|gift (?:is )?on us|a gift with|"
        r"\ba free (?!shipping|delivery|returns?)[a-z]+(?: [a-z]+)? (?:with|when)\b",
        re.I,
    ),
}
OFFER_PHRASE = re.compile(
    "|".join(
        [
            _PERCENT.pattern,
            r"(?:[$€£₹]|\bRs\.?|\bINR)\s?\d+",
            _HALF.pattern,
            *(pattern.pattern for pattern in _KIND_PHRASES.values()),
        ]
    ),
    re.IGNORECASE,
)
"""Any concrete offer: a percent, an amount, half price, or a kind of voucher in words."""


def money(amount: float) -> str:
    """An amount as copy writes it: ``$15`` or ``$19.99``."""
    return f"${amount:,.0f}" if float(amount).is_integer() else f"${amount:,.2f}"


def date_phrase(day: date) -> str:
    """A date as copy writes it: ``Dec 31``."""
    return f"{day:%b} {day.day}"


def offer_phrase(voucher: Voucher) -> str:
    """The offer in a few words, e.g. ``20% off`` or ``$15 off when you spend $100``."""
    kind = voucher.type
    if kind is VoucherType.PERCENT_OFF:
        phrase = f"{voucher.value:g}% off"
    elif kind is VoucherType.AMOUNT_OFF:
        phrase = f"{money(voucher.value)} off"
    elif kind is VoucherType.FREE_SHIPPING:
        phrase = "free shipping"
    elif kind is VoucherType.BOGO:
        phrase = "buy one, get one free"
    elif kind is VoucherType.GIFT:
        phrase = "a free gift"
    else:
        assert voucher.min_spend is not None  # the Voucher type guarantees it
        return f"{money(voucher.value)} off when you spend {money(voucher.min_spend)}"
    if voucher.min_spend is not None:
        phrase += f" on orders over {money(voucher.min_spend)}"
    return phrase


def _unbacked(facts: StatedFacts) -> list[str]:
    """Every offer fact stated, where the request carries no offer."""
    claims = [
        *(f"{p:g}%" for p in sorted(facts.percents)),
        *(money(a) for a in sorted(facts.amounts)),
        *(f"{_MONTHS[m - 1].title()} {d}" for m, d in sorted(facts.dates)),
        *(f"code {c}" for c in sorted(facts.codes)),
        *(k.value.replace("_", " ") for k in sorted(facts.kinds)),
    ]
    return [f"states {claim} but the request carries no offer" for claim in claims]


@dataclass(frozen=True)
class StatedFacts:
    """What a text claims about an offer."""

    percents: frozenset[float]
    amounts: frozenset[float]
    dates: frozenset[tuple[int, int]]
    """(month, day) pairs."""
    codes: frozenset[str]
    kinds: frozenset[VoucherType]


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def stated_facts(text: str, locale: str = "en") -> StatedFacts:
    """The percents, amounts, dates, codes and offer kinds a text states, its numbers read
    as the locale writes them ("20 %", "20 €", "8折", 31.12.)."""
    dates = {(_MONTHS.index(m[0][:3].lower()) + 1, int(m[1])) for m in _DATE_MD.findall(text)}
    dates |= {(_MONTHS.index(m[1][:3].lower()) + 1, int(m[0])) for m in _DATE_DM.findall(text)}
    day_first = locale.split("-")[0].lower() in DAY_FIRST
    for a, b in _DATE_NUM.findall(text):
        month, day = (int(b), int(a)) if day_first else (int(a), int(b))
        if 1 <= month <= 12:
            dates.add((month, day))
    if day_first:
        dates |= {(int(b), int(a)) for a, b in _DATE_DOTTED.findall(text) if 1 <= int(b) <= 12}
    codes = {m for m in _CODE_AFTER.findall(text)} | set(_CODE_LIKE.findall(text))
    return StatedFacts(
        percents=frozenset(
            {_number(m) for m in _PERCENT.findall(text)}
            | ({50.0} if _HALF.search(text) else set())
            | {round(100 - float(m) * 10, 1) for m in _ZHE.findall(text)}
        ),
        amounts=frozenset(_number(a or b) for a, b in _MONEY.findall(text)),
        dates=frozenset(dates),
        codes=frozenset(codes),
        kinds=frozenset(kind for kind, pattern in _KIND_PHRASES.items() if pattern.search(text)),
    )


def offer_fact_errors(text: str, voucher: Voucher | None, locale: str = "en") -> list[str]:
    """Each offer fact in ``text`` that the voucher does not back, as a sentence (with no
    voucher, every one: the message carries no offer); numbers read as ``locale`` writes
    them."""
    facts = stated_facts(text, locale)
    if voucher is None:
        return _unbacked(facts)
    errors: list[str] = []
    allowed_percents = {voucher.value} if voucher.type is VoucherType.PERCENT_OFF else set()
    for percent in sorted(facts.percents - allowed_percents):
        backed = f"the voucher gives {offer_phrase(voucher)}"
        errors.append(f"states {percent:g}% but {backed}")
    allowed_amounts = {voucher.min_spend} if voucher.min_spend is not None else set()
    if voucher.type in {VoucherType.AMOUNT_OFF, VoucherType.THRESHOLD}:
        allowed_amounts.add(voucher.value)
    for amount in sorted(facts.amounts - allowed_amounts):
        errors.append(f"states {money(amount)} but the voucher gives {offer_phrase(voucher)}")
    expires = voucher.expires
    for month, day in sorted(facts.dates):
        stated = f"{_MONTHS[month - 1].title()} {day}"
        if expires is None:
            errors.append(f"states a date ({stated}) but the voucher has no expiry")
        elif (month, day) != (expires.month, expires.day):
            errors.append(f"states {stated} but the voucher expires {date_phrase(expires)}")
    for code in sorted(facts.codes):
        if code != voucher.code:
            expected = (
                f"the voucher's code is {voucher.code}"
                if voucher.code
                else ("the voucher has no code")
            )
            errors.append(f"states code {code} but {expected}")
    for kind in sorted(facts.kinds - {voucher.type}):
        errors.append(
            f"promises {kind.value.replace('_', ' ')} but the voucher is "
            f"{voucher.type.value.replace('_', ' ')}"
        )
    return errors
