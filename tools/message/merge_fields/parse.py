"""Reading a text into our placeholders (``to_ours``): every token scanned, each read by its
family as one of our fields, an opt-out, a token kept as written or a blank, and the
merchant's tool told by the tokens it uses most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from tools.message.merge_fields.names import (
    FIELD_KEYS,
    LIQUID_KEPT_TAGS,
    LIQUID_SHOP,
    MAILCHIMP_KEPT,
    MAILCHIMP_KEPT_PREFIXES,
    compacted,
    guess_kind,
    is_opt_out,
    looks_like_blank,
    words_in,
)
from tools.message.merge_fields.syntax import (
    FIELD_BY_NAME,
    NUMBERED,
    OURS,
    Family,
    Field,
    MergeSyntax,
    Parsed,
    Slot,
    SlotKind,
)

_Role = Literal["field", "opt_out", "kept", "slot"]


@dataclass(frozen=True)
class Token:
    """One token scanned in a text: where it is, as written, its role and its family, and
    the field it stands for or the kind of blank it is."""

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
_GREETING_BEFORE = re.compile(
    r"\b(?:hi|hey|hello|dear|hola|hallo|bonjour)[ \t]*,?[ \t]*$", re.IGNORECASE
)
_LINK_BEFORE = re.compile(r"(?:\b(?:at|visit)|\b(?:here|link)[ \t]*:)[ \t]*$", re.IGNORECASE)


def _slot(match: re.Match[str], kind: SlotKind, family: Family | None = None) -> Token:
    return Token(match.start(), match.end(), match.group(0), "slot", family, kind=kind)


def _field(match: re.Match[str], field: Field, family: Family) -> Token:
    return Token(match.start(), match.end(), match.group(0), "field", family, field)


def _other(match: re.Match[str], role: _Role, family: Family | None) -> Token:
    return Token(match.start(), match.end(), match.group(0), role, family)


def _liquid(match: re.Match[str]) -> Token:
    variable = match.group("expr").split("|", 1)[0].strip()
    whole, last = compacted(variable), compacted(variable.rsplit(".", 1)[-1])
    if is_opt_out(whole):
        return _other(match, "opt_out", "liquid")
    if "preference" in whole or "webview" in whole or "viewinbrowser" in whole:
        return _other(match, "kept", "liquid")
    if last in ("firstname", "fname"):
        return _field(match, "first_name", "liquid")
    if whole in LIQUID_SHOP or last in ("shopname", "storename"):
        return _field(match, "shop_name", "liquid")
    if last.endswith(("url", "link")) and not last.startswith(("image", "img", "logo")):
        return _field(match, "link", "liquid")
    return _slot(match, guess_kind(words_in(variable)), "liquid")


def _liquid_tag(match: re.Match[str]) -> Token:
    tag = match.group("tag").lower()
    if is_opt_out(compacted(tag)):
        return _other(match, "opt_out", "liquid")
    if tag in LIQUID_KEPT_TAGS:
        return _other(match, "kept", "liquid")
    return _slot(match, "unknown", "liquid")


def _mailchimp(match: re.Match[str]) -> Token:
    name = match.group("merge").strip().upper()
    if compacted(name) in ("fname", "firstname"):
        return _field(match, "first_name", "mailchimp")
    if name in ("COMPANY", "LIST:COMPANY"):
        return _field(match, "shop_name", "mailchimp")
    if "UNSUB" in name:
        return _other(match, "opt_out", "mailchimp")
    if name in MAILCHIMP_KEPT or name.startswith(MAILCHIMP_KEPT_PREFIXES):
        return _other(match, "kept", "mailchimp")
    return _slot(match, guess_kind(words_in(name)), "mailchimp")


def _named(match: re.Match[str], name: str, family: Family, shop_name_known: bool) -> Token | None:
    """A bracket, brace or percent token read through the shared field vocabulary."""
    compact = compacted(name)
    field = FIELD_KEYS.get(compact)
    if field == "shop_name" and not shop_name_known and family == "brackets":
        return _slot(match, "shop_name")
    if field is not None:
        return _field(match, field, family)
    if is_opt_out(compact):
        return _other(match, "opt_out", family)
    return None


def _classify(match: re.Match[str], shop_name_known: bool) -> Token | None:
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
            return _slot(match, guess_kind(words_in(name)), "percent")
        return found
    if match.group("brace"):
        name = match.group("bname")
        # "{user.firstName}" names its field last, as a Liquid variable does.
        found = _named(match, name, "ours", shop_name_known) or _named(
            match, name.rsplit(".", 1)[-1], "ours", shop_name_known
        )
        return found or _slot(match, guess_kind(words_in(name)))
    if match.group("xpct") or match.group("xx"):
        return _slot(match, "offer")
    content = match.group("bcontent") or match.group("acontent")
    if match.group("bracket"):
        found = _named(match, content, "brackets", shop_name_known)
        if found is not None:
            return found
    if looks_like_blank(content):
        return _slot(match, guess_kind(words_in(content)))
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
    before = words_in(text[max(0, start - 40) : start])[-2:]
    after = words_in(text[end : end + 20])[:1]
    return guess_kind(before + after)


def scan(text: str, *, shop_name_known: bool) -> list[Token]:
    """Every merge field, opt-out, kept token and blank in ``text``, in order."""
    tokens: list[Token] = []
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
    resolved: list[Token] = []
    for token in tokens:
        if token.family == "whatsapp" and token.role == "slot":
            field = numbered.get(NUMBERED.findall(token.text)[0])
            if field is not None:
                token = replace(token, role="field", field=field)
        resolved.append(token)
    return resolved


def _family(tokens: list[Token]) -> Family:
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
    tokens = scan(text, shop_name_known=shop_name_known)
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
        (FIELD_BY_NAME[match.group(1)], made.get(match.start(), match.group(0)))
        for match in OURS.finditer(out)
    )
    syntax = MergeSyntax(family=_family(tokens), written=written)
    return Parsed(text=out, syntax=syntax, unresolved=tuple(slots), opt_out=opt_out)
