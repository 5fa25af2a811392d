"""The subject (an e-mail's subject, a push's title) and the preheader.

Edit kinds made here, all ``subject``: a subject or preheader the merchant wrote, held to
every rule the body is (``write``, ``preheader``), or dropped where the channel has none; a
subject written from the offer and the text's opening where the merchant wrote none, or
one that breaks the channel's limit (``write``); an e-mail's first line that says what its
subject already said taken out (``unrepeat``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tools.domain import CampaignRequest, Voucher, VoucherType
from tools.message import merge_fields, purpose
from tools.message.channels import LIMITS
from tools.message.offers import offer_fact_errors, offer_phrase
from tools.message.rules import SUBJECTLESS
from tools.message.text import tidy
from tools.writing.editor.body import Body, capital, same
from tools.writing.editor.facts import true_deadline, true_offer
from tools.writing.editor.fields import BLANK, hold, smooth
from tools.writing.editor.frame import GREETING
from tools.writing.editor.language import calm
from tools.writing.writer import LINK, NAME

if TYPE_CHECKING:
    from tools.writing.editor.core import Editor

_LIMITED = re.compile(r"\b(?:selected|select (?:styles|items|products)|up to)\b", re.I)
"""An original that limits its offer: its title does not say "everything"."""


def write(editor: Editor, body: Body) -> str | None:
    """The message's subject or title: the merchant's own, held to the rules, where it fits
    the channel; else one that states the offer (after the text's opening, in an e-mail);
    none where the channel has no subject."""
    channel = editor.request.channel.value
    original = editor.request.original_subject
    if channel in SUBJECTLESS:
        if original:
            editor.record("subject", original, "")
        return None
    limit = LIMITS[channel].subject_chars or 50
    if original:
        subject = _held_to_rules(editor, original)
        if subject != original:
            editor.record("subject", original, subject)
        if subject and len(subject) <= limit:
            return subject
    voucher = editor.request.voucher
    if channel != "email" and voucher is None:
        return None  # a push title is the merchant's choice; the body says it all
    offer = [_offer_subject(voucher, editor.request)] if voucher else []
    code = voucher.code if voucher else None
    opening = next(
        (
            s
            for _, _, s in body.all()
            # A line of its own for the code or the link is no hook for a title.
            if not GREETING.match(s)
            and NAME not in s
            and LINK not in s
            and not (code and code in s)
        ),
        "",
    ).rstrip(".!:")
    hook = [f"{opening}: {offer[0][:1].lower()}{offer[0][1:]}"] if offer and opening else []
    options = [*hook, *offer] if channel == "email" else offer
    options += [opening] if channel == "email" else []
    for option in options:
        option = capital(option)
        if len(option) <= limit and not offer_fact_errors(option, voucher):
            editor.record("subject", original or "", option)
            return option
    return None


def preheader(editor: Editor) -> str | None:
    """The merchant's preheader, in an e-mail only."""
    original = editor.request.original_preheader
    if not original:
        return None
    preheader = _held_to_rules(editor, original) if editor.request.channel == "email" else ""
    if preheader != original:
        editor.record("subject", original, preheader)
    return preheader or None


def _held_to_rules(editor: Editor, line: str) -> str:
    """A subject or preheader the merchant wrote, held to every rule the body is: calm,
    true to the voucher, no deadline it lacks, no blank left unfilled ('' then)."""
    held = hold(editor, merge_fields.to_ours(line))
    parsed = smooth(merge_fields.fill(held, editor.values)[0])
    cleaned = tidy(true_deadline(editor, true_offer(editor, calm(editor, parsed))))
    return "" if BLANK.search(cleaned) else cleaned  # a blank never ships


def unrepeat(editor: Editor, body: Body, subject: str) -> None:
    """An e-mail whose first line says what its subject already said loses the line."""

    for i, j, sentence in body.all()[:3]:
        if GREETING.match(sentence) and sentence.endswith(","):
            continue
        if same(sentence, subject) and len(body.all()) > 2:
            body.put(i, j, "")
            editor.record("subject", sentence, "")
        return


def _offer_subject(voucher: Voucher, request: CampaignRequest) -> str:
    """A subject that states the offer in grammar a copywriter would sign."""
    phrase, scope = offer_phrase(voucher), purpose.scope_of(request)
    if (
        voucher.type in {VoucherType.PERCENT_OFF, VoucherType.AMOUNT_OFF}
        and voucher.min_spend is None
    ):
        original = request.original_template or ""
        if scope == "store" and _LIMITED.search(original):
            return phrase  # "up to 50% off selected collections" is not "50% off everything"
        return f"{phrase} {purpose.target(request)}"
    if voucher.type is VoucherType.FREE_SHIPPING and scope != "store":
        return f"{phrase} on {purpose.target(request)}"
    return phrase
