"""Learned wordings: what the merchant's history says reads better, put into its text.

Edit kinds made here:

- ``wording``: an opening, the verb into the offer or the call to action's words replaced by
  the wording of the same slot that the history says did clearly better on this channel
  (``reword_opening``, ``reword_offer_verb``, ``reword_call``; the wordings are
  ``tools.writing.wording``'s);
- ``borrowed_line``: group learning, a social-proof or exclusivity line from the merchant's
  own best texts where the evidence asks for it and the text lacks it (``borrow``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tools.domain import Edit, VoucherType, WordingLift
from tools.message.offers import OFFER_PHRASE
from tools.writing import wording
from tools.writing.editor.body import Body, closed
from tools.writing.writer import LINK, NAME

if TYPE_CHECKING:
    from tools.writing.editor.core import Editor


def borrow(editor: Editor, body: Body, use: set[str]) -> None:
    """Group learning: a social-proof or exclusivity line from the merchant's own best
    texts, where the evidence asks for it and the text lacks it (its own words, true of
    its shop)."""
    text = body.text()
    for exemplar in editor.own:
        lines = editor.writer.own_lines(exemplar)
        for feature in ("social_proof", "exclusivity"):
            line = lines.get(feature)
            asked = feature in use and editor.evidence(feature, helps=True)
            if asked and line and line not in text and not editor.has(text, feature):
                body.insert_before_close(line)
                editor.record("borrowed_line", "", line, feature)
                text = body.text()


def _better_wording(editor: Editor, slot: str, current: str | None) -> WordingLift | None:
    """The wording of ``slot`` this campaign's channel (and offer) has seen that the
    history says beats the ``current`` one by at least ``wording.MARGIN``."""
    voucher = editor.request.voucher
    kind = voucher.type.value if voucher else None
    ranked = wording.by_slot(editor.wordings).get(slot, [])
    fits = [
        w
        for w in ranked
        if editor.request.channel.value in w.channels
        and (slot != "offer_verb" or (kind in w.voucher_types and _verb_fits(w.key, kind)))
    ]
    if not fits:
        return None
    known = {w.key: wording.worth(w) for w in ranked}
    now = known.get(current, 0.0) if current is not None else 0.0
    best = fits[0]
    return best if best.key != current and wording.worth(best) - now > wording.MARGIN else None


def _reworded(editor: Editor, wording_: WordingLift, before: str, after: str) -> None:
    """Record a wording's edit, with its lift among A/B siblings as the reason."""
    editor.edits.append(
        Edit(
            kind="wording",
            before=before,
            after=after,
            reason=(
                f"messages that {wording.SLOTS[wording_.slot]} "
                f'"{wording_.surface or "the offer itself"}" converted '
                f"{wording_.lift:.2f}x as often as their A/B siblings that did not "
                f"(90% interval {wording_.ci_low:.2f}-{wording_.ci_high:.2f})"
            ),
            pattern=f"wording:{wording_.slot}",
            evidence=list(wording_.evidence[:3]),
        )
    )


def reword_opening(editor: Editor, body: Body) -> None:
    """The opening the history favours: a hook in place of another, a hook before an
    offer that opened the text, or the offer first where hooks did worse."""
    if not editor.wordings or len(body.all()) < 2:
        return
    i, j, first = body.all()[0]  # the sender is off the text while it is edited
    current = wording.read(first)["opening"]
    better = _better_wording(editor, "opening", current.key)
    if better is None:
        return
    hook = better.surface.lower().rstrip(".!? ")
    if better.key and any(hook in s.lower() for k, m, s in body.all() if (k, m) != (i, j)):
        return  # the text says it already, further on: once is enough
    if current.key and better.key:  # a hook for a hook
        after = _with_name(better.surface, NAME in first)
    elif better.key:  # a hook before the offer the text opened with
        after = f"{better.surface} {first}"
    elif NAME in first:
        return  # the hook carries the name: it stays
    else:  # the offer first: the hook goes
        after = ""
    body.put(i, j, after)
    _reworded(editor, better, first, after)


def reword_offer_verb(editor: Editor, body: Body) -> None:
    """The verb into the offer the history favours ("Take $15 off" for "Save $15 on")."""
    if not editor.wordings:
        return
    found = body.find(OFFER_PHRASE)
    if found is None:
        return
    i, j, sentence = found
    current = wording.read(sentence).get("offer_verb")
    if current is None:
        return
    better = _better_wording(editor, "offer_verb", current.key)
    if better is None:
        return
    after = _swap_verb(sentence, current.surface, better.key)
    if after != sentence:
        body.put(i, j, after)
        _reworded(editor, better, sentence, after)


def reword_call(editor: Editor, body: Body) -> None:
    """The call to action's words the history favours, before the same link."""
    if not editor.wordings:
        return
    found = body.find(LINK)
    if found is None:
        return
    i, j, sentence = found
    current = wording.read(body.text()).get("call")
    better = _better_wording(editor, "call", current.key if current else None)
    if better is None:
        return
    lead, rest = sentence.split(LINK, 1)
    call = f"{better.surface}: {LINK}{rest}"
    if current is not None:
        body.put(i, j, call)
    else:
        lead = lead.rstrip(" :-\u2013\u2014")
        call = f"{closed(lead)} {call}" if lead else call
        body.put(i, j, call)
    _reworded(editor, better, sentence, call)


def _with_name(sentence: str, named: bool) -> str:
    """A hook greeting the customer by name where the one it replaces did."""
    if not named:
        return sentence
    words, mark = re.fullmatch(r"(.*?)([.!?]*)", sentence).groups()  # type: ignore[union-attr]
    return f"{words}, {NAME}{mark or '!'}"


def _verb_fits(verb: str, kind: str | None) -> bool:
    """Whether a verb reads before this kind of offer ("Take" before an amount only)."""
    amount = kind in (
        VoucherType.PERCENT_OFF.value,
        VoucherType.AMOUNT_OFF.value,
        VoucherType.THRESHOLD.value,
    )
    return verb in wording.OFFER_VERBS and (amount or verb not in wording.AMOUNT_ONLY)


def _swap_verb(sentence: str, old: str, new: str) -> str:
    """The offer's sentence led in with another verb, the amount tied to what it applies to
    as that verb wants ("Save $15 on" -> "Take $15 off")."""
    at = sentence.find(old)
    if at < 0:
        return sentence
    word = new.upper() if old.isupper() else new.capitalize() if old[:1].isupper() else new
    out = sentence[:at] + word + sentence[at + len(old) :]
    offer = OFFER_PHRASE.search(out, at)
    if offer and re.search(r"\d", offer.group()):
        tie = wording.OFFER_VERBS[new]
        rest = re.sub(r"^(\s+)(?:on|off)\b", rf"\g<1>{tie}", out[offer.end() :], count=1)
        out = out[: offer.end()] + rest
    return out
