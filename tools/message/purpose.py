"""What a message is for and what its offer covers, read from the request and its text.

A third of real CRM messages carry no offer (back in stock, new arrivals, a birthday), and
most offers are for a category or the whole store, not one product: the writer states the
scope the way a copywriter would ("the Trail Runner X", "our running shoes", "everything")
and keeps the purpose's own facts.
"""

from __future__ import annotations

import re
from typing import Literal

from tools.domain import CampaignRequest, Purpose, Voucher
from tools.message.offers import OFFER_PHRASE

Scope = Literal["product", "category", "store"]

_CUES: tuple[tuple[Purpose, re.Pattern[str]], ...] = tuple(
    (purpose, re.compile(pattern, re.IGNORECASE))
    for purpose, pattern in (
        (Purpose.BIRTHDAY, r"\bbirthday|\bb-?day\b|\bgeburtstag|\banniversaire|\bcumpleaños"),
        (
            Purpose.CART_REMINDER,
            r"\b(?:cart|basket|bag)\b|left (?:something|it|them) behind|still thinking|"
            r"complete your (?:order|purchase)|checkout\b|warenkorb|panier|carrito",
        ),
        (
            Purpose.BACK_IN_STOCK,
            r"back in stock|\brestock|\b(?:is|are|it's|they're) back\b|back again|"
            r"wieder (?:da|verfügbar)|de retour|de nuevo disponible",
        ),
        (
            Purpose.PRICE_DROP,
            r"price drop|price (?:has|just) dropped|prices? (?:cut|slashed|lowered)|now only\b|"
            r"lower price|reduced to|went on sale|(?:is|are) (?:now )?on sale",
        ),
        (
            Purpose.WINBACK,
            r"miss(?:ed)? you|been a while|come back|welcome back|haven't seen|long time|"
            r"vermissen|vous nous manquez|te extrañamos",
        ),
        (
            Purpose.NEW_ARRIVALS,
            r"new arrivals?|latest arrivals|just (?:landed|dropped|arrived)|\bnew in\b|"
            r"\bnew (?:\w+ ){0,2}collection|\bmeet the\b|"
            r"\bintroducing\b|meet the new|now available|\blaunch|neu eingetroffen|nouveautés|"
            r"novedades",
        ),
        (
            Purpose.LOYALTY,
            r"\bpoints?\b|\brewards?\b|\bloyalty|\btier\b|store credit|punkte|fidélité",
        ),
        (
            Purpose.ANNOUNCEMENT,
            r"\bevent\b|join us|\bopening\b|\bpop-?up\b|\bwebinar|\blive\b|announc|"
            r"save the date|\bworkshop",
        ),
    )
)
_SALE = re.compile(r"\bsale\b|\bsitewide\b|\bstorewide\b", re.IGNORECASE)
_SEGMENT_PURPOSE = {
    "cart_abandoner": Purpose.CART_REMINDER,
    "birthday": Purpose.BIRTHDAY,
    "lapsed_30d": Purpose.WINBACK,
    "lapsed_90d": Purpose.WINBACK,
}
_STORE_WIDE = re.compile(
    r"\b(?:site-?wide|store-?wide|everything|entire (?:store|site|order)|whole (?:store|site)|"
    r"all orders|any order|all products|your (?:next )?order)\b",
    re.IGNORECASE,
)


def names_purpose(text: str, purpose: Purpose) -> bool:
    """Whether a text's words say it is for ``purpose`` (its cue, wherever it stands: a
    win-back that also says "at checkout" is still a win-back). A purpose with no cue of
    its own (a promotion) is named by any text."""
    cue = next((c for p, c in _CUES if p is purpose), None)
    return cue is None or bool(cue.search(text))


def infer_purpose(
    text: str | None, voucher: Voucher | None, canonical: str | None = None
) -> Purpose:
    """What a message is for: the first purpose its words name (a birthday before a cart,
    news of the stock before a sale), else a promotion when its words sell, else what its
    segment is for, else a promotion when it carries an offer and an announcement when it
    carries none."""
    if text:
        for purpose, cue in _CUES:
            if cue.search(text):
                if purpose is Purpose.ANNOUNCEMENT and (voucher or OFFER_PHRASE.search(text)):
                    continue  # "live now: 20% off" is a sale
                return purpose
    if text and (OFFER_PHRASE.search(text) or _SALE.search(text)):
        return Purpose.PROMOTION  # a text that sells is a promotion, whoever it goes to
    if canonical in _SEGMENT_PURPOSE:
        return _SEGMENT_PURPOSE[canonical]
    if voucher is not None:
        return Purpose.PROMOTION
    return Purpose.ANNOUNCEMENT


def purpose_of(request: CampaignRequest, canonical: str | None = None) -> Purpose:
    """The request's purpose: as given, else read from its original text."""
    if request.purpose is not None:
        return request.purpose
    text = " ".join(t for t in (request.original_subject, request.original_template) if t)
    return infer_purpose(text or None, request.voucher, canonical)


def scope_of(request: CampaignRequest) -> Scope:
    """What the campaign covers: its product, its category, or the whole store (named so in
    the original, a category path of one level, or one no level of which names goods a
    shop sells: "store>sitewide", "health>pharmacy")."""
    if request.product_name:
        return "product"
    original = " ".join(t for t in (request.original_subject, request.original_template) if t)
    if _STORE_WIDE.search(original) or ">" not in request.product_category:
        return "store"
    return "category" if category_name(request.product_category) else "store"


_WHOSE = {"womens": "women's", "mens": "men's", "kids": "kids'", "women": "women's", "men": "men's"}
_MASS_GOODS = frozenset(
    {
        *("apparel", "art", "bedding", "candy", "cheese", "chocolate", "clothing", "coffee"),
        *("collection", "decor", "denim", "equipment", "food", "footwear", "fragrance"),
        *("furniture", "gear", "honey", "jewellery", "jewelry", "juice", "knitwear"),
        *("lighting", "lingerie", "luggage", "makeup", "meat", "merchandise", "nutrition"),
        *("perfume", "produce", "protein", "range", "seafood", "stationery", "tea", "wine"),
    }
)
"""Goods a shop sells that are not counted: "our tea", "our makeup", "our summer range"."""
_MASS_ENDINGS = ("wear", "ware", "care")
"""Words of goods by their ending: "swimwear", "cookware", "skincare"."""
_NOT_GOODS = frozenset({"news", "sales", "deals", "savings", "offers", "specials", "sports"})
"""Plurals that are not goods a shop sells."""
_STORE_LEVELS = frozenset(
    {
        *("all", "cart", "checkout", "everything", "general", "misc", "other", "shop", "site"),
        *("sitewide", "store", "storewide"),
    }
)
"""Category levels that mean the whole store ("store>sitewide", "shop>cart")."""


def names_goods(phrase: str) -> bool:
    """Whether a phrase ends in a plural or mass noun of goods, as copy says what an offer
    is on after "our": "running shoes", "tea", "skincare", "summer range"; not "summer",
    "sitewide", "pharmacy" or "limited edition"."""
    words = phrase.lower().split()
    if not words:
        return False
    last = words[-1]
    if last in _MASS_GOODS or last.endswith(_MASS_ENDINGS):
        return True
    plural = last.endswith("s") and not last.endswith(("ss", "us", "is", "ness", "'s"))
    return plural and last not in _NOT_GOODS


def category_name(path: str) -> str:
    """A category path's readable name, as copy says it after "our": its leaf, with its
    parent where the leaf only qualifies it ("apparel>shoes>running" -> "running shoes"), a
    leaf that names no goods as a range ("apparel>summer" -> "summer range"); "" for a path
    that means the whole store ("store>sitewide")."""
    parts = [p.replace("_", " ").replace("-", " ").strip() for p in path.split(">")]
    leaf = parts[-1]
    if leaf.lower() in _STORE_LEVELS:
        return ""
    if leaf.lower() in _WHOSE:
        return f"{_WHOSE[leaf.lower()]} range"
    parent = parts[-2] if len(parts) > 1 else ""
    if not leaf.endswith("s") and parent.endswith("s") and names_goods(parent):
        return f"{leaf} {parent}"
    return leaf if names_goods(leaf) else f"{leaf} range"


def target(request: CampaignRequest) -> str:
    """What the offer is on, as copy says it: "the Trail Runner X", "our running shoes",
    "everything"."""
    scope = scope_of(request)
    if scope == "product":
        assert request.product_name is not None
        name = request.product_name
        return name if name.lower().startswith("the ") else f"the {name}"
    if scope == "category":
        return f"our {category_name(request.product_category)}"
    return _STORE_TARGET.get(purpose_of(request, request.segment), "your next order")


_STORE_TARGET = {Purpose.PROMOTION: "everything", Purpose.CART_REMINDER: "your cart"}
"""A store-wide offer as each purpose says it: a sale is on everything, a cart's offer on
the cart, a birthday's or a win-back's on the next order."""
