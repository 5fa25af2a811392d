"""The channel's frame: who sends the message, whom it greets, what it asks, how it closes.

Edit kinds made here:

- ``sender``: the sender's name taken off the sentences that open with it, to go back in
  front once (``unsend``, ``resend``); an SMS named by its sender first (``sms``);
- ``personalised``: the customer greeted by name (``greet``);
- ``cta``: a call to action with the link, by what the message is for, where the text has
  none (a push says what to tap for) (``call_to_action``);
- ``opt_out``: an SMS says how to opt out (``sms``).

``finish`` closes every line with its mark and keeps full stops off links; it records no
edit.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tools.domain import Purpose
from tools.message import purpose
from tools.message.rules import OPT_OUT, STOP_WORD, with_sender
from tools.writing.editor.body import CTA_VERB, MARKED_LINK, Body
from tools.writing.writer import LINK, NAME

if TYPE_CHECKING:
    from tools.writing.editor.core import Editor

GREETING = re.compile(
    r"^(?P<word>hi|hey|hello|dear|hiya|howdy|yo|greetings)\b(?P<rest>[^.!?,]*?)(?P<end>[,.!?]|$)",
    re.IGNORECASE,
)
"""A greeting that opens a sentence ("Hi there,", "Hello Sam!")."""
_NAMED = re.compile(r",\s*(?:§\d+§|\{first_name\})\s*[?!.,]")
"""A sentence that greets by a merge field already ("a refill, {{1}}?")."""
_ASKS_REPLY = re.compile(r"\b(?:reply|hit reply|write back|respond)\b", re.IGNORECASE)
"""A message whose call to action is a reply, not a link."""
_LIST_ITEM = re.compile(r"^(?:[-*•·]|\d+[.)])\s")
"""A line of a list, which a colon before it introduces."""
_LINK_STOP = re.compile(r"(\{link\}|:\s*§\d+§)\.(?=\s|$)")
"""A full stop right after a link."""
_PUSH_CTA = {
    Purpose.PROMOTION: "Tap to shop now.",
    Purpose.BACK_IN_STOCK: "Tap to get yours.",
    Purpose.NEW_ARRIVALS: "Tap to see what's new.",
    Purpose.PRICE_DROP: "Tap to shop now.",
    Purpose.CART_REMINDER: "Tap to complete your order.",
    Purpose.LOYALTY: "Tap to see your rewards.",
    Purpose.BIRTHDAY: "Tap to treat yourself.",
    Purpose.WINBACK: "Tap to see what's new.",
    Purpose.ANNOUNCEMENT: "Tap to find out more.",
}
"""A push notification's call to action: the tap opens the link."""
_PURPOSE_CTA = {
    Purpose.PROMOTION: f"Shop now: {LINK}",
    Purpose.BACK_IN_STOCK: f"Shop it now: {LINK}",
    Purpose.NEW_ARRIVALS: f"See what's new: {LINK}",
    Purpose.PRICE_DROP: f"Shop now: {LINK}",
    Purpose.CART_REMINDER: f"Complete your order: {LINK}",
    Purpose.LOYALTY: f"See your rewards: {LINK}",
    Purpose.BIRTHDAY: f"Treat yourself: {LINK}",
    Purpose.WINBACK: f"See what's new: {LINK}",
    Purpose.ANNOUNCEMENT: f"Find out more: {LINK}",
}
"""The call to action a message without one gets, by what it is for."""


def unsend(editor: Editor, body: Body) -> str:
    """Take the sender's name off every sentence that opens with it ("Knix: ..."), so
    that no edit puts a line before it and none repeats it mid-text; returns the first
    such prefix as the merchant wrote it, which goes back in front, once, when the
    editing is done (an SMS that had none gets the sender from ``sms``)."""
    opener = re.compile(rf"(?:From )?{re.escape(editor.sender)}:\s+", re.IGNORECASE)
    found = ""
    for i, j, sentence in body.all()[::-1]:
        prefix = opener.match(sentence)
        if prefix is None or not sentence[prefix.end() :].strip():
            continue
        if (i, j) != (0, 0):
            editor.record("sender", sentence, sentence[prefix.end() :])
        found = prefix.group(0) if (i, j) == (0, 0) else found
        body.put(i, j, sentence[prefix.end() :])
    return found


def resend(body: Body, sender: str) -> None:
    """The sender's prefix that ``unsend`` took off the first line back in front, once."""
    if sender and body.all():
        i, j, first = body.all()[0]
        body.put(i, j, f"{sender}{first}")


def greet(editor: Editor, body: Body) -> None:
    """The customer's name into the first line: into its greeting ("Hi {first_name},"), a
    greeting of its own in an e-mail, or before the line ("{first_name}, ...")."""
    if not body.all():
        return
    i, j, whole = body.all()[0]
    prefix = f"{editor.sender}: " if whole.startswith(f"{editor.sender}: ") else ""
    first = whole[len(prefix) :]
    if first.startswith(("§", "{")) or _NAMED.search(first):
        return  # opens with a merge field, or greets by one already ("a refill, {{1}}?")
    match = GREETING.match(first)
    if match:
        rest = match.group("rest").strip()
        drop = {"there", "friend", "friends", "customer", "valued customer", "everyone"}
        if rest and rest.lower().strip(" ,") not in drop:
            return  # greets someone already ("Hi Sam")
        end = match.group("end") or ","
        greeted = f"{match.group('word')} {NAME}{end}{first[match.end() :]}"
    elif editor.request.channel.value == "email" and not prefix:
        body.add_paragraph(f"Hi {NAME},", first=True)
        editor.record("personalised", "", f"Hi {NAME},", "personalised")
        return
    elif first[:1].isdigit() or first[:1] in "$€£":
        greeted = f"{NAME}, {first}"
    else:
        lead = first if first.split(" ", 1)[0].isupper() else first[:1].lower() + first[1:]
        greeted = f"{NAME}, {lead}"
    body.put(i, j, prefix + greeted)
    editor.record("personalised", whole, prefix + greeted, "personalised")


def call_to_action(editor: Editor, body: Body) -> None:
    """A call to action with the link where the text has none: its own last sentence that
    asks the customer to act, given the link, or one by what the message is for."""
    if LINK in body.text() or MARKED_LINK.search(body.text()):
        return
    if any(_ASKS_REPLY.search(s) and not STOP_WORD.search(s) for _, _, s in body.all()):
        return  # the merchant asks for a reply: that is the call to action
    if editor.request.channel.value == "push":
        # A tap opens the notification's link: the call to action says what to tap for.
        if not editor.has(body.text(), "cta"):
            line = _PUSH_CTA[purpose.purpose_of(editor.request, editor.canonical)]
            body.append(line)
            editor.record("cta", "", line, "cta")
        return
    for i, j, s in reversed(body.all()):
        if CTA_VERB.match(s) and not STOP_WORD.search(s):
            after = f"{s.rstrip('.!')}: {LINK}"
            body.put(i, j, after)
            editor.record("cta", s, after, "cta")
            return
    line = _PURPOSE_CTA[purpose.purpose_of(editor.request, editor.canonical)]
    if _paragraphs(editor):
        body.add_paragraph(line)
    else:
        body.insert_before_close(line)
    editor.record("cta", "", line, "cta")


def _paragraphs(editor: Editor) -> bool:
    """Whether the message is set in paragraphs (an e-mail, or an original with them)."""
    original = editor.request.original_template or ""
    return editor.request.channel.value == "email" or "\n\n" in original


def sms(editor: Editor, body: Body) -> None:
    """What carriers require of an SMS: how to opt out, and the sender named first."""
    if editor.request.channel != "sms":
        return
    before = body.text()
    if not STOP_WORD.search(before):
        body.append(OPT_OUT)
        editor.record("opt_out", "", OPT_OUT)
    i, j, first = body.all()[0]
    named = with_sender(first, editor.sender)
    if named != first:
        body.put(i, j, named)
        editor.record("sender", first, named)


def finish(body: Body) -> None:
    """Every line closes with its mark, and no full stop clings to a link (a tap on
    "{link}." can open the wrong page)."""
    for line in body.lines:
        if not line:
            continue
        last = line[-1]
        fixed = _LINK_STOP.sub(r"\1", last)
        if not GREETING.match(fixed) and re.search(r"[A-Za-z0-9]$|[^:]\s§\d+§$", fixed):
            fixed = f"{fixed}."
        if fixed != last:
            line[-1] = fixed
    for i, j, sentence in body.all():
        fixed = _LINK_STOP.sub(r"\1", sentence)
        last_of_line = j == len(body.lines[i]) - 1
        following = next((line for line in body.lines[i + 1 :] if line), [])
        listed = bool(following) and bool(_LIST_ITEM.match(following[0]))
        if last_of_line and fixed.endswith(":") and not listed:
            fixed = f"{fixed[:-1]}."  # what it introduced is gone (a product list)
        if fixed != sentence:
            body.put(i, j, fixed)
