"""Merge fields and template blanks: the merchant's placeholders read, filled or held.

Edit kinds made here:

- ``markup``: an HTML or XML tag taken out (the message is plain text) (``unmark``);
- ``merge_fields``: a template library's placeholder ("[First name]") written as a working
  merge field (``resolve``);
- ``template_choice``: a blank or a choice left open ("[discount / free shipping]") filled
  from the request (the offer's value, the code, the product, the shop, the date), or its
  sentence dropped where the request does not say it (``resolve``);
- ``cta``: a button's label written into the template ("[Shop now]") made the call to
  action, with the link (``resolve``);
- ``link``: a web address written as the link's merge field (``URL``, from ``Editor.edit``);
- ``personalised``: a customer's name typed into a template ("Hi Sarah") written as the name's
  merge field (``typed_name``), or the name's merge field taken out (``no_name``).

Merge fields of the merchant's tool that CRMAgent does not fill are held as markers while
the text is edited (``hold``), and the result is written back in the merchant's own syntax
(``merchant_syntax``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tools.domain import Voucher, VoucherType
from tools.message import merge_fields
from tools.message.offers import OFFER_PHRASE, date_phrase, money, offer_phrase
from tools.message.text import tidy
from tools.writing.editor.body import CTA_VERB, Body, capital
from tools.writing.writer import LINK, NAME

if TYPE_CHECKING:
    from tools.writing.editor.core import Editor

URL = re.compile(
    r"\b(?:https?://|www\.)\S+?(?=[.,!?]?(?:\s|$))|\b[a-z][\w-]*\.[a-z][\w-]*\.[a-z][\w/-]*\b|"
    r"\b[a-z][\w-]*\.(?:com|co|io|shop|store|net|org|ly|me)\b(?:/\S*)?",
    re.IGNORECASE,
)
"""A web address written into the text, which the link's merge field stands for."""
_TYPED_NAME = re.compile(
    r"^((?:Hi|Hey|Hello|Dear|Hiya) )([A-Z][a-z]{2,})\b(?!\s[A-Z])|^()([A-Z][a-z]{2,})(?=, )"
)
_NOT_NAMES = frozenset({"There", "Friend", "Friends", "Everyone", "All", "You", "Again"})
_NOT_NAME_OPENERS = frozenset(
    {"Yes", "Sorry", "Okay", "Well", "Psst", "Hello", "Welcome", "Good", "Thanks", "Today", "Now"}
)
_TOOL_FIELD = ("{{", "{%", "*|", "%")
"""How the merge fields of a sending tool open (Liquid, WhatsApp, Mailchimp, percent)."""
_LAYOUT = re.compile(r"\+|image|thumbnail|photo|picture", re.IGNORECASE)
BLANK = re.compile(r"\[[^\[\]\n]{1,40}\]")
"""What is left in square brackets after merge fields are read: a template's blank."""
_MARKUP = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>")
"""A tag of HTML or XML: the message is plain text, and a tag would show as written."""
_COUNTED = re.compile(r"amount|points|number|count|qty|total", re.IGNORECASE)
_BUTTON = re.compile(r"\[(?:CTA:\s*)?([A-Z][^\[\]\n]{2,40})\]", re.IGNORECASE)
"""A button's label written into a template ("[Finish my order]", "[CTA: Shop now]")."""
_BRACKET_LINK = re.compile(r"\[[^\]\n]{0,20}(?:link|url)[^\]\n]{0,20}\]", re.IGNORECASE)
"""A template's blank for the link ("[Link]", "[shop URL]")."""
_THING = re.compile(
    r"(\b(?:your|the|my)\s+)?\[(?:[^\[\]\n]{0,20}\s)?(purchase|product|item)(?:\s[^\[\]\n]{0,20})?\]",
    re.IGNORECASE,
)
"""A blank that names the customer's own product ("your [last purchase]", "[Product]")."""


def unmark(editor: Editor, original: str) -> str:
    """The original as plain text: its HTML or XML tags taken out."""
    plain = tidy(_MARKUP.sub(" ", original)) if _MARKUP.search(original) else original
    if plain != original:
        editor.record("markup", original, plain)
    return plain


def resolve(editor: Editor, parsed: merge_fields.Parsed) -> str:
    """The merchant's placeholders in ours; a template choice left open ("[discount /
    free shipping]") filled from the request, or its sentence dropped: it never ships."""
    original = editor.request.original_template or ""
    if parsed.text != original and parsed.syntax.family == "brackets":
        editor.record("merge_fields", original, parsed.text)
    voucher = editor.request.voucher
    values: dict[str, str | None] = {
        "offer": _offer_value(voucher) if voucher else None,
        "code": voucher.code if voucher else None,
        # A product merge field the request cannot fill ("{{product_name}} is back in
        # stock") reads as the customer's own pick.
        "product": editor.request.product_name or "your favourite",
        "shop_name": editor.sender if not editor.sender.startswith("{") else None,
        "date": date_phrase(voucher.expires) if voucher and voucher.expires else None,
    }
    editor.values = values
    text = hold(editor, parsed)
    before = _BRACKET_LINK.sub(LINK, text)
    text, unfilled = merge_fields.fill(before, values)
    if text != before:  # only where a blank was filled: the merchant's own text stays
        text = smooth(text)
    if text != parsed.text:
        editor.record("template_choice", parsed.text, text)
    for found in _BUTTON.finditer(text):
        label = found.group(1).strip()
        if LINK in text or _LAYOUT.search(label) or not CTA_VERB.match(label):
            continue
        # A button's label written into the template: the call to action, with the link.
        button = f"{label[:1]}{label[1:].lower()}: {LINK}"
        editor.record("cta", found.group(0), button, "cta")
        text = text.replace(found.group(0), button, 1)
    text = _THING.sub(_thing, text)
    body = Body.of(text)
    blanks = [slot.token for slot in unfilled if slot.token in text]
    for i, j, sentence in body.all()[::-1]:
        for blank in [*blanks, *BLANK.findall(sentence)]:
            if blank not in sentence:
                continue
            # A code the voucher does not have: the code goes, the sentence stays
            # ("Here's $10 off your first order: [code]").
            bare = tidy(re.sub(_lead_in(blank), "", sentence)).rstrip(" :,-")
            if not OFFER_PHRASE.search(bare) or bare == sentence:
                bare = ""
            body.put(i, j, bare)
            editor.record("template_choice", sentence, bare)
            break
    return body.text()


def hold(editor: Editor, parsed: merge_fields.Parsed) -> str:
    """The parsed text with each merge field of the merchant's tool that CRMAgent does
    not fill ("{{expiry_date}}", its unsubscribe tag) held as a marker, to be put back
    as it was; an e-mail builder's block ("[Product image + name + price]") left out."""
    text = parsed.text
    held = {token: marker for marker, token in editor.kept.items()}
    # What the request can say is written in ("use code {{1}}" with the voucher's code);
    # the rest stays for the merchant's tool to fill.
    tokens = [
        s.token
        for s in parsed.unresolved
        if s.token.startswith(_TOOL_FIELD)
        and (
            s.kind in {"product", "shop_name", "unknown"}
            or not editor.values.get(s.kind)
            or _COUNTED.search(s.token)  # "{{points_amount}}" is a number, not an offer
        )
    ]
    for token in [*tokens, *([parsed.opt_out] if parsed.opt_out else [])]:
        if token not in held:
            held[token] = f"§{len(editor.kept) + 1}§"
            editor.kept[held[token]] = token
        text = text.replace(token, held[token])
    for slot in parsed.unresolved:
        if not slot.token.startswith(_TOOL_FIELD) and _LAYOUT.search(slot.token):
            text = text.replace(slot.token, "")
    return text


def merchant_syntax(syntax: merge_fields.MergeSyntax, original: str) -> merge_fields.MergeSyntax:
    """How the result writes its merge fields: the merchant's own style, except a template
    library's brackets ("[First name]"), which no sending tool fills; a WhatsApp field the
    original did not have takes a number after the template's own."""
    if syntax.family == "brackets":
        return merge_fields.MergeSyntax()
    if syntax.family != "whatsapp":
        return syntax
    used = [int(n) for n in re.findall(r"\{\{\s*(\d+)\s*\}\}", original)]
    written = dict(syntax.written)
    for field_name in merge_fields.FIELDS:
        if field_name not in written:
            used.append(max(used, default=0) + 1)
            written[field_name] = f"{{{{{used[-1]}}}}}"
    return merge_fields.MergeSyntax(family="whatsapp", written=tuple(written.items()))


def _thing(match: re.Match[str]) -> str:
    if _LAYOUT.search(match.group(0)):
        return ""  # an e-mail builder's block ("[Product image + name + price]"), not copy
    word = "last purchase" if match.group(2).lower() == "purchase" else "favourite"
    return f"{match.group(1)}{word}" if match.group(1) else f"your {word}"


def smooth(text: str) -> str:
    """A filled template read as written: "the (or your) your favourite", "25% off off" and
    "Rs $100" as a
    person would write them, each sentence opening with a capital."""
    text = re.sub(
        r"\b([Tt]he|[Yy]our|[Oo]ur) your favourite",
        lambda m: ("Y" if m.group(1)[0].isupper() else "y") + "our favourite",
        text,
    )
    text = re.sub(
        r"(^|[.!?]\s+)([a-z])(?!ttps?://|ww\.)", lambda m: m.group(1) + m.group(2).upper(), text
    )
    text = re.sub(r"\boff off\b", "off", text)
    # The merchant's own currency word before a filled amount: "Rs 100", not "Rs $100".
    return re.sub(r"(\b(?:Rs|INR|EUR|GBP)\.?|[₹€£])\s?\$(?=\d)", r"\1 ", text)


def _lead_in(token: str) -> str:
    """A pattern for a blank with the words that introduce it ("use code [code]", ": [x]")."""
    lead = r"\s*(?:(?:use|with|enter)\s+)?(?:(?:promo\s+|discount\s+)?code\b)?\s*:?\s*"
    return lead + re.escape(token)


def _offer_value(voucher: Voucher) -> str:
    """What fills a template's offer blank: the number where there is one ("{{2}} off")."""
    if voucher.type is VoucherType.PERCENT_OFF:
        return f"{voucher.value:g}%"
    if voucher.type in {VoucherType.AMOUNT_OFF, VoucherType.THRESHOLD}:
        return money(voucher.value)
    return offer_phrase(voucher)


def typed_name(sentence: str) -> str:
    """A customer's name typed into a template ("Hi Sarah") as the merge field."""
    found = _TYPED_NAME.match(sentence)
    if found is None:
        return sentence
    greeting, name = (found.group(1), found.group(2)) if found.group(2) else ("", found.group(4))
    if name in _NOT_NAMES or name in _NOT_NAME_OPENERS:
        return sentence
    return f"{greeting}{NAME}{sentence[found.end() :]}"


def no_name(sentence: str) -> str:
    """The sentence without the customer's name."""
    without = re.sub(r",?\s*\{first_name\}\s*,?", " ", sentence)
    return capital(tidy(without))
