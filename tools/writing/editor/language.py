"""Language fixes: what the merchant's words or characters cost it, fixed sentence by sentence.

Edit kinds made here:

- ``profanity``: a word customers should not read taken out, or its sentence where little
  is left (``clean_language``);
- ``shouting``: a sentence in capitals or with "!!!" written in sentence case (``calm``);
- ``emoji``: the emoji taken out where the evidence says they cost (``no_emoji``), or one
  put after the first line, by what the message is for, where it says they help
  (``add_emoji``);
- ``gsm``: typographic characters outside GSM-7 written plainly, so that an SMS stays in
  its cheaper encoding (``gsm``, from fitting to the channel's limits).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tools.domain import Purpose
from tools.message import purpose
from tools.message.features import has_emoji, is_shouting
from tools.message.text import ACRONYMS, sentence_case, tidy
from tools.writing.editor.body import MARKED_LINK, Body, capital
from tools.writing.writer import LINK

if TYPE_CHECKING:
    from tools.writing.editor.core import Editor

_PROFANITY = re.compile(
    r"\b(?:f+u+c+k\w*|f\*+c?k\w*|sh[i*]t+(?:ty)?|damn(?:ed|it)?|crap(?:py)?|hell|wtf|"
    r"bitch\w*|ass(?:hole)?s?|bullshit|piss(?:ed)?|bloody)\b",
    re.IGNORECASE,
)
"""Words a merchant's customers should not read in a marketing message."""
_GSM_SWAPS = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2014": " - ",
        "\u2013": " - ",
        "\u2026": "...",
    }
)
"""Typographic characters outside GSM-7, which would turn an SMS into UCS-2 (70 characters
a segment), and the plain ones that say the same."""
_PURPOSE_EMOJI = {
    Purpose.PROMOTION: "🛍️",
    Purpose.BACK_IN_STOCK: "🎉",
    Purpose.NEW_ARRIVALS: "✨",
    Purpose.PRICE_DROP: "🏷️",
    Purpose.CART_REMINDER: "🛒",
    Purpose.LOYALTY: "⭐",
    Purpose.BIRTHDAY: "🎂",
    Purpose.WINBACK: "👋",
    Purpose.ANNOUNCEMENT: "📣",
}
"""The emoji a message gets where the evidence asks for one, by what it is for."""


def clean_language(sentence: str) -> str:
    """The sentence without its profanity; nothing where fewer than three words are left."""
    if not _PROFANITY.search(sentence):
        return sentence
    cleaned = tidy(_PROFANITY.sub("", sentence))
    cleaned = re.sub(r"^[,;:\s]+", "", cleaned)
    return "" if len(cleaned.split()) < 3 else capital(cleaned)


def calm(editor: Editor, sentence: str) -> str:
    """A sentence that shouts (capitals, "!!!") in sentence case; the code keeps its capitals."""
    code = editor.request.voucher.code if editor.request.voucher else None
    words = re.findall(r"[A-Za-z]{3,}", sentence.replace(code or "\0", ""))
    loud = sum(w.isupper() and w not in ACRONYMS for w in words)
    alone = len(words) == 1 and loud == 1 and len(words[0]) > 3  # "SALE!"
    if not is_shouting(sentence, code) and not (loud >= 2 and loud * 2 >= len(words)) and not alone:
        return sentence
    return re.sub(r"!{2,}", "!", sentence_case(sentence))


def no_emoji(sentence: str) -> str:
    """The sentence without its emoji; one that stood between two sentences becomes a full
    stop ("It's been a while 👀 Our new arrivals" -> "It's been a while. Our new arrivals")."""
    marked = "".join("\0" if has_emoji(ch) or ch in "\ufe0f\u200d" else ch for ch in sentence)
    marked = re.sub(r"(?<=[a-z0-9])\s*\0+\s+(?=[A-Z])", ". ", marked)
    return marked.replace("\0", "")


def add_emoji(editor: Editor, body: Body, use: set[str]) -> None:
    """The emoji of what the message is for after its first line, where the plan asks for
    one and the text has none (not in an SMS, nor after a link)."""
    head = body.all()[0][2] if body.all() else LINK
    linkless = LINK not in head and not MARKED_LINK.search(head)
    if (
        "emoji" in use
        and not has_emoji(body.text())
        and editor.request.channel != "sms"
        and linkless
    ):
        i, j, s = body.all()[0]
        emoji = _PURPOSE_EMOJI[purpose.purpose_of(editor.request, editor.canonical)]
        body.put(i, j, f"{s} {emoji}")
        editor.record("emoji", s, f"{s} {emoji}", "emoji")


def gsm(sentence: str) -> str:
    """The sentence with its typographic characters in GSM-7 ("'" for "\u2019")."""
    return sentence.translate(_GSM_SWAPS)
