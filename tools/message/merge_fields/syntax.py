"""The families of merge-field syntax and our fields: the kinds of blank, the types a text is
read into (``MergeSyntax``, ``Slot``, ``Parsed``), our own placeholders and WhatsApp's
numbered variables as patterns, and a family chosen by name (``syntax_named``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Field = Literal["first_name", "link", "shop_name"]
SlotKind = Literal["offer", "product", "shop_name", "code", "date", "unknown"]
Family = Literal["ours", "liquid", "mailchimp", "whatsapp", "brackets", "percent"]

FIELDS: tuple[Field, ...] = ("first_name", "link", "shop_name")
FAMILIES: tuple[Family, ...] = ("ours", "liquid", "mailchimp", "whatsapp", "brackets", "percent")
FIELD_BY_NAME: dict[str, Field] = {field: field for field in FIELDS}
_FAMILY_BY_NAME: dict[str, Family] = {family: family for family in FAMILIES}
OURS = re.compile(r"(?<!\{)\{(first_name|link|shop_name)\}(?!\})")
NUMBERED = re.compile(r"\{\{\s*(\d{1,3})\s*\}\}")


@dataclass(frozen=True)
class MergeSyntax:
    """How a merchant writes merge fields: a family (for fields the original did not use)
    and, in order of appearance, the exact token the original used for each of our fields."""

    family: Family = "ours"
    written: tuple[tuple[Field, str], ...] = ()

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(_unknown_family(self.family))
        for field, _ in self.written:
            if field not in FIELDS:
                raise ValueError(f"unknown field {field!r}; fields are: {', '.join(FIELDS)}")

    def tokens(self, field: Field) -> tuple[str, ...]:
        """The merchant's tokens for one of our fields, in the order the original used them."""
        return tuple(token for name, token in self.written if name == field)


@dataclass(frozen=True)
class Slot:
    """A blank left for the merchant to fill: the exact token, where it is, and a guess at
    what belongs there (offer, product, shop_name, code, date or unknown)."""

    token: str
    span: tuple[int, int]
    kind: SlotKind


@dataclass(frozen=True)
class Parsed:
    """A message read into our placeholders. ``unresolved`` spans index the original text;
    ``opt_out`` is the merchant's own unsubscribe token (left in ``text`` as written)."""

    text: str
    syntax: MergeSyntax
    unresolved: tuple[Slot, ...] = ()
    opt_out: str | None = None


def _unknown_family(name: str) -> str:
    return f"unknown merge syntax {name!r}; choose one of: {', '.join(FAMILIES)}"


def syntax_named(name: str) -> MergeSyntax:
    """The bare syntax of a family chosen by name (a merchant profile may set one): ours,
    liquid, mailchimp, whatsapp, brackets or percent."""
    family = _FAMILY_BY_NAME.get(name.strip().lower())
    if family is None:
        raise ValueError(_unknown_family(name))
    return MergeSyntax(family=family)
