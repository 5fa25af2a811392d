"""How the domain checks what crosses a boundary: the checked strings (identifiers, segment
names, category paths, voucher codes, a template's text), the cross-field rules, the base
every domain model shares, and the sentences a validation error is told in.

Cross-field rules (the send funnel, what a voucher of each type needs) are plain functions
returning ``(field, message)`` pairs, so that ingestion can report them per row and field
and the models can enforce them.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from tools.domain.vocabulary import VoucherType

MAX_TEMPLATE_CHARS = 20_000
"""Longest template text accepted (a long e-mail body fits; a pasted web page does not)."""

_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_SEGMENT = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_CATEGORY_PART = re.compile(r"^[a-z0-9][a-z0-9 &'_-]{0,39}$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{2,32}$")


def _identifier(value: str) -> str:
    if not _IDENTIFIER.match(value):
        raise ValueError(
            f"{value!r} is not an identifier: use 1-64 letters, digits, '_', '.', ':' or '-', "
            "starting with a letter or digit"
        )
    return value


def _segment(value: str) -> str:
    if not _SEGMENT.match(value):
        raise ValueError(
            f"{value!r} is not a segment name: use lowercase letters, digits and '_', "
            "starting with a letter (e.g. lapsed_90d)"
        )
    return value


@cache  # an import names a few categories thousands of times
def _category(value: str) -> str:
    parts = [part.strip().lower() for part in value.split(">")]
    if not 1 <= len(parts) <= 6 or not all(_CATEGORY_PART.match(part) for part in parts):
        raise ValueError(
            f"{value!r} is not a category path: use 1-6 lowercase parts separated by '>' "
            "(e.g. apparel>shoes>running)"
        )
    return ">".join(parts)


def _code(value: str) -> str:
    if not _CODE.match(value):
        raise ValueError(f"{value!r} is not a voucher code: use 2-32 letters, digits, '_' or '-'")
    return value


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BIDI_OVERRIDE = re.compile("[\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str) -> str:
    """Refuse characters that hide or reorder what a customer sees: control characters and
    bidirectional overrides (a right-to-left mark alone is fine). The error's location
    names the field."""
    if _CONTROL.search(value):
        raise ValueError("holds a control character; remove it (tabs and line breaks are fine)")
    if _BIDI_OVERRIDE.search(value):
        raise ValueError(
            "holds a bidirectional override (U+202A-U+202E, U+2066-U+2069), which can "
            "disguise text; remove it"
        )
    return value


def _text(value: str) -> str:
    clean_text(value)
    if not value.strip():
        raise ValueError("is empty: give the message the customers received")
    if len(value) > MAX_TEMPLATE_CHARS:
        raise ValueError(f"has {len(value):,} characters; at most {MAX_TEMPLATE_CHARS:,}")
    return value


Identifier = Annotated[str, AfterValidator(_identifier)]
SegmentName = Annotated[str, AfterValidator(_segment)]
"""A segment identifier: canonical (``lapsed_90d``) or the merchant's own (``winback``)."""
CategoryPath = Annotated[str, AfterValidator(_category)]
"""A product taxonomy path, most general first: ``apparel>shoes>running``."""
VoucherCode = Annotated[str, AfterValidator(_code)]
TemplateBody = Annotated[str, AfterValidator(_text)]


def voucher_problems(
    voucher_type: VoucherType, value: float, min_spend: float | None
) -> list[tuple[str, str]]:
    """What is wrong with a voucher's numbers, as ``(field, message)`` pairs (empty if fine)."""
    problems: list[tuple[str, str]] = []
    if value < 0:
        problems.append(("value", f"value ({value:g}) is negative"))
    if min_spend is not None and min_spend < 0:
        problems.append(("min_spend", f"min_spend ({min_spend:g}) is negative"))
    if voucher_type is VoucherType.PERCENT_OFF and not 0 < value < 100:
        problems.append(("value", f"percent_off value ({value:g}) must be between 0 and 100"))
    if voucher_type is VoucherType.AMOUNT_OFF and value <= 0:
        problems.append(("value", "amount_off value must be the amount saved, above 0"))
    if voucher_type is VoucherType.THRESHOLD:
        if min_spend is None or min_spend <= 0:
            problems.append(("min_spend", "threshold vouchers need min_spend (spend X save Y)"))
        elif value <= 0 or value >= min_spend:
            problems.append(
                (
                    "value",
                    f"threshold value ({value:g}) must be above 0 and below "
                    f"min_spend ({min_spend:g})",
                )
            )
    return problems


def describe_error(error: ErrorDetails) -> str:
    """One pydantic error as a sentence: our own validators' messages as they are (they
    quote the value), any other with the value it got."""
    message = str(error["msg"])
    if error["type"] == "value_error":
        return message.removeprefix("Value error, ")
    if error["type"] == "missing":
        return message
    shown = repr(error["input"])
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{message} (got {shown})"


def validation_problems(exc: ValidationError, whole: str) -> str:
    """A validation error on one line, each problem named by its field (``voucher.value:
    ...``); ``whole`` names a problem of the object as a whole."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or whole}: {describe_error(error)}"
        for error in exc.errors()
    )


def funnel_problems(sends: int, opens: int, clicks: int, conversions: int) -> list[tuple[str, str]]:
    """Breaks of the funnel sends >= opens >= clicks >= conversions, as ``(field, message)``."""
    problems: list[tuple[str, str]] = []
    steps = (("sends", sends), ("opens", opens), ("clicks", clicks), ("conversions", conversions))
    for (upper_name, upper), (name, count) in pairwise(steps):
        if count > upper:
            problems.append((name, f"{name} ({count}) > {upper_name} ({upper})"))
    return problems


class Model(BaseModel):
    """The base of every domain model: unknown fields are refused and values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
