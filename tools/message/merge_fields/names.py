"""What the names in merchants' tokens mean: the names each tool gives our fields, the tokens
of theirs that stay as written (Liquid tags, Mailchimp's own merge tags), and the words
that make bracketed text a blank and tell what belongs there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tools.message.merge_fields.syntax import Field, SlotKind

_CHOICE = re.compile(r"\w[\w%]*\s*/\s*[\w$€£]")


def _keys(field: Field, *names: str) -> dict[str, Field]:
    return dict.fromkeys(names, field)


# Bracket, brace and percent names, compacted (lower case, letters and digits only).
FIELD_KEYS: dict[str, Field] = {
    **_keys(
        "first_name",
        "firstname",
        "fname",
        "name",
        "customername",
        "customerfirstname",
        "customersname",
        "customersfirstname",
        "contactfirstname",
        "subscriberfirstname",
        "recipientname",
    ),
    **_keys(
        "link",
        "link",
        "url",
        "shoplink",
        "storelink",
        "productlink",
        "checkoutlink",
        "cartlink",
        "shopurl",
        "storeurl",
        "producturl",
        "checkouturl",
        "carturl",
        "website",
        "websitelink",
        "linktoshop",
        "linktostore",
    ),
    **_keys(
        "shop_name",
        "shopname",
        "storename",
        "brand",
        "brandname",
        "company",
        "companyname",
        "businessname",
        "shop",
        "store",
        "yourshop",
        "yourstore",
        "yourbrand",
        "yourcompany",
        "yourshopname",
        "yourstorename",
        "yourbrandname",
        "yourcompanyname",
    ),
}
LIQUID_SHOP = frozenset({"shopname", "storename", "organizationname", "companyname", "brandname"})
LIQUID_KEPT_TAGS = frozenset(
    {
        "manage_preferences",
        "web_view",
        "if",
        "elsif",
        "else",
        "endif",
        "unless",
        "endunless",
        "for",
        "endfor",
        "case",
        "when",
        "endcase",
        "comment",
        "endcomment",
        "assign",
        "capture",
        "endcapture",
        "raw",
        "endraw",
    }
)
MAILCHIMP_KEPT = frozenset(
    {
        "ARCHIVE",
        "ARCHIVE_LINK_SHORT",
        "UPDATE_PROFILE",
        "FORWARD",
        "EMAIL",
        "CURRENT_YEAR",
        "ABOUT_LIST",
        "REWARDS",
        "REWARDS_TEXT",
        "MC_PREVIEW_TEXT",
        "MC_LANGUAGE",
        "MC_LANGUAGE_LABEL",
        "END:IF",
        "ELSE:",
    }
)
MAILCHIMP_KEPT_PREFIXES = ("IF:", "IFNOT:", "ELSEIF:", "DATE:", "MC:", "LIST:", "HTML:", "END:")
# A bracketed text is a blank when it names one of these (or offers a choice, or instructs).
_BLANK_WORDS = frozenset(
    {
        "product",
        "products",
        "item",
        "items",
        "code",
        "coupon",
        "promo",
        "discount",
        "offer",
        "date",
        "deadline",
        "expiry",
        "expiration",
        "shop",
        "store",
        "brand",
        "company",
        "name",
        "amount",
        "percent",
        "percentage",
        "price",
        "number",
        "title",
        "collection",
        "category",
        "x",
        "xx",
        "xxx",
    }
)
_INSTRUCTIONS = frozenset({"insert", "enter", "add", "your", "choose", "pick", "put"})
_SMALL_WORDS = frozenset({"of", "or", "and", "to", "the", "a", "an", "for", "in", "on"})
# First match wins: "[Discount Code]" is a code, "[Product Price]" is no product name.
_KIND_WORDS: tuple[tuple[SlotKind, frozenset[str]], ...] = (
    ("unknown", frozenset({"price", "number", "phone", "email", "address", "total"})),
    ("code", frozenset({"code", "coupon", "promo", "voucher"})),
    ("date", frozenset({"date", "deadline", "expiry", "expiration", "expires", "until", "day"})),
    (
        "offer",
        frozenset(
            {"discount", "offer", "percent", "percentage", "%", "off", "shipping", "gift"}
            | {"amount", "savings", "deal"}
        ),
    ),
    ("product", frozenset({"product", "products", "item", "items", "collection", "category"})),
    ("shop_name", frozenset({"shop", "store", "brand", "company", "organization", "business"})),
)


def compacted(text: str) -> str:
    """A name compacted: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def words_in(text: str) -> list[str]:
    """The lower-case words (and percent signs) of a name or text."""
    return re.findall(r"[a-z]+|%", text.lower())


def is_opt_out(compact: str) -> bool:
    """Whether a compacted name is an unsubscribe or opt-out token."""
    return "unsub" in compact or compact.startswith("optout")


def guess_kind(words: Iterable[str]) -> SlotKind:
    """What a blank most likely stands for, from the words in or around it."""
    present = set(words)
    for kind, vocabulary in _KIND_WORDS:
        if present & vocabulary:
            return kind
    return "unknown"


def looks_like_blank(content: str) -> bool:
    """Whether bracketed text reads as a placeholder (``[Product Name]``, ``[insert code]``,
    ``[discount / free shipping]``) rather than prose (``[sic]``, ``[NEW]``)."""
    if "://" in content or "www." in content.lower():
        return False
    if _CHOICE.search(content) and re.search(r"[A-Za-z%]", content):
        return True
    words = re.findall(r"[A-Za-z]+", content)
    if not words or len(words) > 6:
        return False
    lowered = [word.lower() for word in words]
    if lowered[0] in _INSTRUCTIONS:
        return True
    if not _BLANK_WORDS.intersection(lowered):
        return False
    title = all(word[0].isupper() or word.lower() in _SMALL_WORDS for word in words)
    return title or len(words) <= 3
