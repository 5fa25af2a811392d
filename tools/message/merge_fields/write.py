"""Writing a text back in the merchant's syntax (``to_merchant``: the tokens its original
used, else its family's) and filling the blanks a template library leaves (``fill``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from tools.message.merge_fields.parse import Token, scan
from tools.message.merge_fields.syntax import (
    FIELD_BY_NAME,
    FIELDS,
    NUMBERED,
    OURS,
    Field,
    MergeSyntax,
    Slot,
)

_Shape = Literal["text", "percent", "money"]
_PERCENT_SHAPE = re.compile(r"[\[<]?[Xx]{1,3}[\]>]? ?%[\]>]?")
_MONEY_SHAPE = re.compile(r"[\[<]?[$€£] ?[Xx]{1,3}[\]>]?")
_PERCENT_VALUE = re.compile(r"\d+(?:[.,]\d+)? ?%")
_MONEY_VALUE = re.compile(r"[$€£] ?\d+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})? ?[$€£]")


def _default_token(syntax: MergeSyntax, field: Field) -> str:
    """How the family writes a field the original did not use."""
    if syntax.family == "liquid":
        liquid = [token for _, token in syntax.written if token.startswith("{{")]
        tight = bool(liquid) and not any(re.match(r"\{\{-?\s", token) for token in liquid)
        shopify = any("customer." in token or "shop." in token for token in liquid)
        inner = {
            "first_name": "customer.first_name" if shopify else "first_name",
            "link": "url",
            "shop_name": "shop.name" if shopify else "organization.name",
        }[field]
        return "{{" + inner + "}}" if tight else "{{ " + inner + " }}"
    if syntax.family == "percent":
        lower = any(token.startswith("%") and token.islower() for _, token in syntax.written)
        upper = {"first_name": "FIRSTNAME", "link": "LINK", "shop_name": "SHOPNAME"}[field]
        return f"%{field}%" if lower else f"%{upper}%"
    return {
        "mailchimp": {"first_name": "*|FNAME|*", "link": "{link}", "shop_name": "*|LIST:COMPANY|*"},
        "brackets": {"first_name": "[First name]", "link": "[link]", "shop_name": "[Shop name]"},
    }.get(syntax.family, {}).get(field, "{" + field + "}")


def to_merchant(text: str, syntax: MergeSyntax) -> str:
    """Write our placeholders back as the merchant's tokens: the n-th ``{first_name}`` as the
    original's n-th (its first once they run out), unused fields in the family's style."""
    used = dict.fromkeys(FIELDS, 0)
    fresh: dict[Field, str] = {}
    numbers = [int(n) for _, token in syntax.written for n in NUMBERED.findall(token)]
    numbers += [int(n) for n in NUMBERED.findall(text)]
    next_number = max(numbers, default=0) + 1

    def swap(match: re.Match[str]) -> str:
        nonlocal next_number
        field = FIELD_BY_NAME[match.group(1)]
        written, nth = syntax.tokens(field), used[field]
        used[field] += 1
        if written:
            return written[nth] if nth < len(written) else written[0]
        if field not in fresh:
            if syntax.family == "whatsapp":
                fresh[field] = "{{" + str(next_number) + "}}"
                next_number += 1
            else:
                fresh[field] = _default_token(syntax, field)
        return fresh[field]

    return OURS.sub(swap, text)


def _value(token: Token, values: Mapping[str, str | None]) -> str | None:
    """What fills a blank: a value given for its exact token, else for its kind (the number
    alone for ``XX%`` or ``$XX``), else nothing."""
    exact = values.get(token.text)
    if exact and exact.strip():
        return exact
    given = values.get(token.kind) if token.kind != "unknown" else None
    if not given or not given.strip():
        return None
    shape: _Shape = "text"
    if _PERCENT_SHAPE.fullmatch(token.text):
        shape = "percent"
    elif _MONEY_SHAPE.fullmatch(token.text):
        shape = "money"
    if shape == "text":
        return given
    found = (_PERCENT_VALUE if shape == "percent" else _MONEY_VALUE).search(given)
    return found.group(0) if found else None


def fill(text: str, values: Mapping[str, str | None]) -> tuple[str, tuple[Slot, ...]]:
    """Fill the blanks in ``text`` by kind (``{"offer": "20% off", "product": ...}``) or by
    exact token (``{"{{3}}": ...}``); returns the text and the blanks left unfilled, with
    spans in the returned text. A message with any left must not ship."""
    parts: list[str] = []
    unfilled: list[Slot] = []
    last = length = 0
    for token in scan(text, shop_name_known=False):
        if token.role != "slot":
            continue
        before = text[last : token.start]
        parts.append(before)
        length += len(before)
        value = _value(token, values)
        if value is None:
            unfilled.append(Slot(token.text, (length, length + len(token.text)), token.kind))
            value = token.text
        parts.append(value)
        length += len(value)
        last = token.end
    parts.append(text[last:])
    return "".join(parts), tuple(unfilled)
