"""Offer and deadline facts: what the customer is owed, said as the voucher says it.

Offer facts, codes and dates are only ever written from the request. Edit kinds made here:

- ``offer_facts``: a sentence's percent, amount, code, date or extra offer written from the
  voucher, or the sentence left out where that cannot make it true (``true_offer``);
- ``false_urgency``: a deadline the voucher does not have taken out (``true_deadline``);
- ``urgency``: a sentence that only hurries taken out where the evidence says urgency costs
  (``no_urgency``), or the voucher's end date added after the offer where it helps
  (``state_deadline``);
- ``vague_offer``, ``offer_stated`` and ``offer_early``: the offer stated where the text only
  hints at it or does not say it, and led with where the evidence asks (``offer``);
- ``code_stated``: the voucher's code after the offer, where the text lacks it
  (``state_code``).
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from tools.domain import VoucherType
from tools.message.deadlines import deadline_claims, drop_unsupported
from tools.message.features import feature_of, offer_early
from tools.message.offers import OFFER_PHRASE, date_phrase, money, offer_fact_errors, stated_facts
from tools.message.text import tidy
from tools.writing.editor.body import Body
from tools.writing.writer import LINK, WritePlan

if TYPE_CHECKING:
    from tools.writing.editor.core import Editor

_URGENT_ONLY = re.compile(
    r"^(?:hurry|don't wait|do not wait|act fast|act now|quick|last chance)\b[^.!?]*[.!?]*$",
    re.IGNORECASE,
)
_THIS_WEEK = re.compile(r"\bthis (?:week|weekend|month)\b|\btonight\b", re.IGNORECASE)
_KIND_CLAUSE = {
    kind: re.compile(rf"\s*(?:\+|&|,|\band\b|\bplus\b|\bwith\b)\s*(?:{phrase})", re.IGNORECASE)
    for kind, phrase in (
        (VoucherType.FREE_SHIPPING, r"free (?:shipping|delivery)"),
        (VoucherType.GIFT, r"a free gift"),
    )
}
"""An extra offer joined to the one the voucher gives, as a clause that can go."""


def true_offer(editor: Editor, sentence: str) -> str:
    """A sentence whose offer facts the voucher does not back: its numbers, code and
    date written from the voucher, or, where that cannot make it true, left out."""
    voucher = editor.request.voucher
    if not offer_fact_errors(sentence, voucher):
        return sentence
    if voucher is None:
        return ""
    facts, fixed = stated_facts(sentence), sentence
    if voucher.type is VoucherType.PERCENT_OFF:
        for p in facts.percents - {voucher.value}:
            fixed = re.sub(rf"\b{p:g}\s?%", f"{voucher.value:g}%", fixed)
    wrong = sorted(facts.amounts - {voucher.value, voucher.min_spend})
    if voucher.type in {VoucherType.AMOUNT_OFF, VoucherType.THRESHOLD}:
        for amount in wrong:
            fixed = fixed.replace(money(amount), money(voucher.value))
    elif voucher.min_spend is not None and len(wrong) == 1:
        fixed = fixed.replace(money(wrong[0]), money(voucher.min_spend))  # "over $40"
    for code in facts.codes - {voucher.code}:
        fixed = fixed.replace(code, voucher.code or "")
    if voucher.expires is not None:
        for month, day in facts.dates:
            if (month, day) != (voucher.expires.month, voucher.expires.day):
                fixed = re.sub(
                    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}"
                    r"(?:st|nd|rd|th)?\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b",
                    date_phrase(voucher.expires),
                    fixed,
                    flags=re.IGNORECASE,
                )
    for kind in facts.kinds - {voucher.type}:
        # An offer the voucher does not give, joined to one it does ("15% off + free
        # shipping"): the extra goes, the rest stays.
        extra = _KIND_CLAUSE.get(kind)
        if extra is not None:
            fixed = tidy(extra.sub("", fixed))
    return fixed if not offer_fact_errors(fixed, voucher) else ""


def true_deadline(editor: Editor, sentence: str) -> str:
    """The sentence without a deadline the voucher does not have."""
    if editor.request.voucher is None:
        return sentence  # the merchant's own deadline (points expire), not an offer's
    expires = editor.request.voucher.expires
    kept, _ = drop_unsupported(sentence, expires, _sending(editor))
    return kept


def _sending(editor: Editor) -> date:
    return editor.request.send_date or date.today()


def no_urgency(sentence: str) -> str:
    """Nothing for a sentence that only hurries ("Hurry!", "Last chance"), else the sentence."""
    return "" if _URGENT_ONLY.match(sentence) else sentence


def offer(editor: Editor, body: Body, use: set[str]) -> None:
    """State the offer where the text does not, and lead with it where evidence asks."""
    if editor.request.voucher is None:
        return
    found = body.find(OFFER_PHRASE)
    if found is None:
        line = editor.writer.offer_line()
        vague = body.find(re.compile(r"\bgreat deals|\bbig savings|\bdeals\b", re.I))
        if vague is not None:
            body.put(vague[0], vague[1], line)
            editor.record("vague_offer", vague[2], line, "vague_offer")
        else:
            lead = body.lines[0][0] if body.lines and body.lines[0] else ""
            opening = bool(lead) and (len(lead) <= 40 or "offer_early" not in use)
            at = 1 if opening else 0  # the sender is off the text while it is edited
            body.lines[0].insert(min(at, len(body.lines[0])), line)
            editor.record("offer_stated", "", line, "offer_stated")
        found = body.find(OFFER_PHRASE)
    evidence = any(feature_of(p) == "offer_early" and p.lift > 1 for p in editor.patterns)
    if found is None or not evidence or "offer_early" not in use or offer_early(body.text()):
        return
    # Only a short opening gives way, so the message still reads in its own order.
    i, j, s = found
    match = OFFER_PHRASE.search(s)
    head = body.all()[0][2]
    if (i, j) != (0, 1) or match is None or match.end() > 40 or len(head) > 40:
        return
    body.lines[0][0], body.lines[0][1] = s, head
    editor.record("offer_early", f"{head} {s}", f"{s} {head}", "offer_early")


def state_code(editor: Editor, body: Body, plan: WritePlan) -> None:
    """The voucher's code right after the offer, where the text does not say it."""
    code = editor.request.voucher.code if editor.request.voucher else None
    if code and "code_stated" not in plan.avoid and code not in body.text():
        line = editor.writer.code_line(code)
        body.insert_after_offer(line)
        editor.record("code_stated", "", line, "code_stated")


def state_deadline(editor: Editor, body: Body, use: set[str]) -> None:
    """The voucher's end date, where the plan asks for urgency and the text names no date
    or deadline of its own."""
    expires = editor.request.voucher.expires if editor.request.voucher else None
    text = body.text()
    dated = bool(stated_facts(text).dates or deadline_claims(text) or _THIS_WEEK.search(text))
    if "urgency" in use and expires and not dated and not editor.has(body.text(), "urgency"):
        _deadline(editor, body, date_phrase(expires))


def _deadline(editor: Editor, body: Body, when: str) -> None:
    """The voucher's end date, as part of the offer where its sentence is short and ends
    plainly ("Take 15% off your cart until Dec 31."), else a sentence of its own right
    after the offer: never before it."""
    found = body.find(OFFER_PHRASE)
    if found is not None:
        i, j, sentence = found
        plain = sentence.endswith(".") and LINK not in sentence and ":" not in sentence
        if plain and len(sentence) <= 70:
            dated = f"{sentence[:-1]} until {when}."
            body.put(i, j, dated)
            editor.record("urgency", sentence, dated, "urgency")
            return
    line = f"Ends {when}."
    body.insert_after_offer(line)
    editor.record("urgency", "", line, "urgency")
