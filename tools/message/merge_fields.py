"""Merge fields: the placeholders of the tools merchants write in, read into ours and back.

Merchants paste messages written for Klaviyo, Shopify, Mailchimp, WhatsApp templates or a
template library. ``to_ours`` maps their name, link and shop placeholders to ``{first_name}``,
``{link}`` and ``{shop_name}`` and remembers how each was written (``MergeSyntax``), so
``to_merchant`` hands the message back in the merchant's own tokens. It also lists the blanks
a template library leaves for the merchant (``[Product Name]``, ``XX%``, ``{{3}}``), which
``fill`` fills from known values or reports: a message with a blank in it must never ship.

Tokens that belong to the merchant's tool but are none of ours (an unsubscribe link, a
Mailchimp ``*|ARCHIVE|*``, a Liquid ``{% if %}``) stay in the text exactly as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

Field = Literal["first_name", "link", "shop_name"]
SlotKind = Literal["offer", "product", "shop_name", "code", "date", "unknown"]
Family = Literal["ours", "liquid", "mailchimp", "whatsapp", "brackets", "percent"]
_Role = Literal["field", "opt_out", "kept", "slot"]
_Shape = Literal["text", "percent", "money"]

FIELDS: tuple[Field, ...] = ("first_name", "link", "shop_name")
FAMILIES: tuple[Family, ...] = ("ours", "liquid", "mailchimp", "whatsapp", "brackets", "percent")
_FIELD_BY_NAME: dict[str, Field] = {field: field for field in FIELDS}
_FAMILY_BY_NAME: dict[str, Family] = {family: family for family in FAMILIES}


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


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    text: str
    role: _Role
    family: Family | None = None
    field: Field | None = None
    kind: SlotKind = "unknown"


_TOKEN = re.compile(
    r"""
      (?P<wa>\{\{\s*(?P<num>\d{1,3})\s*\}\})
    | (?P<ltag>\{%-?\s*(?P<tag>[A-Za-z_]\w*)[^\n]*?-?%\})
    | (?P<liquid>\{\{-?\s*(?P<expr>[^{}\n]+?)\s*-?\}\})
    | (?P<mc>\*\|(?P<merge>[^|*\n]{1,40})\|\*)
    | (?P<pct>(?<![\w%])%(?P<pname>[A-Za-z][A-Za-z0-9_]{1,30})%(?![\w%]))
    | (?P<brace>(?<!\{)\$?\{(?P<bname>[A-Za-z][A-Za-z0-9_ .]{0,30})\}(?!\}))
    | (?P<xpct>\[[Xx]{1,3}\]\ ?%)
    | (?P<bracket>\[(?P<bcontent>[^\[\]\n]{1,48})\])
    | (?P<angle><(?P<acontent>[A-Za-z][A-Za-z0-9 _/%'&-]{0,38})>)
    | (?P<xx>(?<![\w%$€£])[Xx]{1,3}\ ?%|[$€£]\ ?[Xx]{1,3}\b)
    """,
    re.VERBOSE,
)
_OURS = re.compile(r"(?<!\{)\{(first_name|link|shop_name)\}(?!\})")
_NUMBERED = re.compile(r"\{\{\s*(\d{1,3})\s*\}\}")
_GREETING_BEFORE = re.compile(
    r"\b(?:hi|hey|hello|dear|hola|hallo|bonjour)[ \t]*,?[ \t]*$", re.IGNORECASE
)
_LINK_BEFORE = re.compile(r"(?:\b(?:at|visit)|\b(?:here|link)[ \t]*:)[ \t]*$", re.IGNORECASE)
_CHOICE = re.compile(r"\w[\w%]*\s*/\s*[\w$€£]")
_PERCENT_SHAPE = re.compile(r"[\[<]?[Xx]{1,3}[\]>]? ?%[\]>]?")
_MONEY_SHAPE = re.compile(r"[\[<]?[$€£] ?[Xx]{1,3}[\]>]?")
_PERCENT_VALUE = re.compile(r"\d+(?:[.,]\d+)? ?%")
_MONEY_VALUE = re.compile(r"[$€£] ?\d+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})? ?[$€£]")


def _keys(field: Field, *names: str) -> dict[str, Field]:
    return dict.fromkeys(names, field)


# Bracket, brace and percent names, compacted (lower case, letters and digits only).
_FIELD_KEYS: dict[str, Field] = {
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
_LIQUID_SHOP = frozenset({"shopname", "storename", "organizationname", "companyname", "brandname"})
_LIQUID_KEPT_TAGS = frozenset(
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
_MAILCHIMP_KEPT = frozenset(
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
_MAILCHIMP_KEPT_PREFIXES = ("IF:", "IFNOT:", "ELSEIF:", "DATE:", "MC:", "LIST:", "HTML:", "END:")
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


def _unknown_family(name: str) -> str:
    return f"unknown merge syntax {name!r}; choose one of: {', '.join(FAMILIES)}"


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+|%", text.lower())


def _is_opt_out(compact: str) -> bool:
    return "unsub" in compact or compact.startswith("optout")


def _guess_kind(words: Iterable[str]) -> SlotKind:
    """What a blank most likely stands for, from the words in or around it."""
    present = set(words)
    for kind, vocabulary in _KIND_WORDS:
        if present & vocabulary:
            return kind
    return "unknown"


def _looks_like_blank(content: str) -> bool:
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


def _slot(match: re.Match[str], kind: SlotKind, family: Family | None = None) -> _Token:
    return _Token(match.start(), match.end(), match.group(0), "slot", family, kind=kind)


def _field(match: re.Match[str], field: Field, family: Family) -> _Token:
    return _Token(match.start(), match.end(), match.group(0), "field", family, field)


def _other(match: re.Match[str], role: _Role, family: Family | None) -> _Token:
    return _Token(match.start(), match.end(), match.group(0), role, family)


def _liquid(match: re.Match[str]) -> _Token:
    variable = match.group("expr").split("|", 1)[0].strip()
    whole, last = _compact(variable), _compact(variable.rsplit(".", 1)[-1])
    if _is_opt_out(whole):
        return _other(match, "opt_out", "liquid")
    if "preference" in whole or "webview" in whole or "viewinbrowser" in whole:
        return _other(match, "kept", "liquid")
    if last in ("firstname", "fname"):
        return _field(match, "first_name", "liquid")
    if whole in _LIQUID_SHOP or last in ("shopname", "storename"):
        return _field(match, "shop_name", "liquid")
    if last.endswith(("url", "link")) and not last.startswith(("image", "img", "logo")):
        return _field(match, "link", "liquid")
    return _slot(match, _guess_kind(_words(variable)), "liquid")


def _liquid_tag(match: re.Match[str]) -> _Token:
    tag = match.group("tag").lower()
    if _is_opt_out(_compact(tag)):
        return _other(match, "opt_out", "liquid")
    if tag in _LIQUID_KEPT_TAGS:
        return _other(match, "kept", "liquid")
    return _slot(match, "unknown", "liquid")


def _mailchimp(match: re.Match[str]) -> _Token:
    name = match.group("merge").strip().upper()
    if _compact(name) in ("fname", "firstname"):
        return _field(match, "first_name", "mailchimp")
    if name in ("COMPANY", "LIST:COMPANY"):
        return _field(match, "shop_name", "mailchimp")
    if "UNSUB" in name:
        return _other(match, "opt_out", "mailchimp")
    if name in _MAILCHIMP_KEPT or name.startswith(_MAILCHIMP_KEPT_PREFIXES):
        return _other(match, "kept", "mailchimp")
    return _slot(match, _guess_kind(_words(name)), "mailchimp")


def _named(match: re.Match[str], name: str, family: Family, shop_name_known: bool) -> _Token | None:
    """A bracket, brace or percent token read through the shared field vocabulary."""
    compact = _compact(name)
    field = _FIELD_KEYS.get(compact)
    if field == "shop_name" and not shop_name_known and family == "brackets":
        return _slot(match, "shop_name")
    if field is not None:
        return _field(match, field, family)
    if _is_opt_out(compact):
        return _other(match, "opt_out", family)
    return None


def _classify(match: re.Match[str], shop_name_known: bool) -> _Token | None:
    """One scanned token's role, or None for text that only looks like one."""
    if match.group("ltag"):
        return _liquid_tag(match)
    if match.group("liquid"):
        return _liquid(match)
    if match.group("mc"):
        return _mailchimp(match)
    if match.group("pct"):
        name = match.group("pname")
        found = _named(match, name, "percent", shop_name_known)
        if found is None and name.isupper():
            return _slot(match, _guess_kind(_words(name)), "percent")
        return found
    if match.group("brace"):
        name = match.group("bname")
        # "{user.firstName}" names its field last, as a Liquid variable does.
        found = _named(match, name, "ours", shop_name_known) or _named(
            match, name.rsplit(".", 1)[-1], "ours", shop_name_known
        )
        return found or _slot(match, _guess_kind(_words(name)))
    if match.group("xpct") or match.group("xx"):
        return _slot(match, "offer")
    content = match.group("bcontent") or match.group("acontent")
    if match.group("bracket"):
        found = _named(match, content, "brackets", shop_name_known)
        if found is not None:
            return found
    if _looks_like_blank(content):
        return _slot(match, _guess_kind(_words(content)))
    return None


def _whatsapp_field(text: str, start: int, end: int) -> Field | None:
    """A numbered variable's field from where it stands: after a greeting (or first, before a
    comma) it is the first name; where a URL goes it is the link; anywhere else unknown."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    before = text[line_start:start]
    after = text[end : len(text) if line_end == -1 else line_end]
    if _GREETING_BEFORE.search(before):
        return "first_name"
    if not text[:start].strip() and after.lstrip().startswith(","):
        return "first_name"
    if _LINK_BEFORE.search(before):
        return "link"
    if before.rstrip().endswith(":") and not after.strip():
        return "link"
    if not before.strip() and not text[end:].strip():
        return "link"
    return None


def _whatsapp_kind(text: str, start: int, end: int) -> SlotKind:
    before = _words(text[max(0, start - 40) : start])[-2:]
    after = _words(text[end : end + 20])[:1]
    return _guess_kind(before + after)


def _scan(text: str, *, shop_name_known: bool) -> list[_Token]:
    """Every merge field, opt-out, kept token and blank in ``text``, in order."""
    tokens: list[_Token] = []
    numbered: dict[str, Field | None] = {}
    position = 0
    while (match := _TOKEN.search(text, position)) is not None:
        if match.group("wa"):
            number = match.group("num")
            if numbered.get(number) is None:
                numbered[number] = _whatsapp_field(text, match.start(), match.end())
            kind = _whatsapp_kind(text, match.start(), match.end())
            tokens.append(_slot(match, kind, "whatsapp"))
            position = match.end()
            continue
        token = _classify(match, shop_name_known)
        if token is None:  # "[see {link}]" is no token, but what is inside it may be
            position = match.start() + 1
            continue
        tokens.append(token)
        position = match.end()
    resolved: list[_Token] = []
    for token in tokens:
        if token.family == "whatsapp" and token.role == "slot":
            field = numbered.get(_NUMBERED.findall(token.text)[0])
            if field is not None:
                token = replace(token, role="field", field=field)
        resolved.append(token)
    return resolved


def _family(tokens: list[_Token]) -> Family:
    """The merchant's tool: the most used family among its own tokens (ties go to the first
    seen); "ours" only when nothing else is used."""
    counts: dict[Family, int] = {}
    for token in tokens:
        if token.family is not None and token.family != "ours":
            counts[token.family] = counts.get(token.family, 0) + 1
    if not counts:
        return "ours"
    return max(counts, key=lambda family: counts[family])


def to_ours(text: str, *, shop_name_known: bool = True) -> Parsed:
    """Read a merchant's message into our placeholders, remembering how each was written.

    With ``shop_name_known=False`` a template library's ``[Your Shop]``/``[Shop Name]`` is a
    blank for ``fill`` (a literal name) rather than ``{shop_name}``.
    """
    tokens = _scan(text, shop_name_known=shop_name_known)
    parts: list[str] = []
    made: dict[int, str] = {}  # where in the output a field was written -> the original token
    slots: list[Slot] = []
    opt_out: str | None = None
    last = length = 0
    for token in tokens:
        if token.role == "field" and token.field is not None:
            before = text[last : token.start]
            ours = "{" + token.field + "}"
            # A field right inside braces ("{{{ url }}}") would not read back as ours: keep it.
            if not before.endswith("{") and not text.startswith("}", token.end):
                parts += [before, ours]
                made[length + len(before)] = token.text
                length += len(before) + len(ours)
                last = token.end
        elif token.role == "opt_out" and opt_out is None:
            opt_out = token.text
        elif token.role == "slot":
            slots.append(Slot(token.text, (token.start, token.end), token.kind))
    parts.append(text[last:])
    out = "".join(parts)
    # Every {field} to_merchant will see, in order: a field written here comes back as the
    # merchant's token, one that was in the original already (ours, or inside a blank) as is.
    written = tuple(
        (_FIELD_BY_NAME[match.group(1)], made.get(match.start(), match.group(0)))
        for match in _OURS.finditer(out)
    )
    syntax = MergeSyntax(family=_family(tokens), written=written)
    return Parsed(text=out, syntax=syntax, unresolved=tuple(slots), opt_out=opt_out)


def syntax_named(name: str) -> MergeSyntax:
    """The bare syntax of a family chosen by name (a merchant profile may set one): ours,
    liquid, mailchimp, whatsapp, brackets or percent."""
    family = _FAMILY_BY_NAME.get(name.strip().lower())
    if family is None:
        raise ValueError(_unknown_family(name))
    return MergeSyntax(family=family)


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
    numbers = [int(n) for _, token in syntax.written for n in _NUMBERED.findall(token)]
    numbers += [int(n) for n in _NUMBERED.findall(text)]
    next_number = max(numbers, default=0) + 1

    def swap(match: re.Match[str]) -> str:
        nonlocal next_number
        field = _FIELD_BY_NAME[match.group(1)]
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

    return _OURS.sub(swap, text)


def _value(token: _Token, values: Mapping[str, str | None]) -> str | None:
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
    for token in _scan(text, shop_name_known=False):
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
