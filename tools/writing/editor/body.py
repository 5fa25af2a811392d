"""The message body as lines of sentences, and the small helpers every edit writes with.

``Body`` holds the text as lines of sentences (the breaks between lines kept), so that an edit
can put, insert or drop one sentence and the rest stays as the merchant wrote it. Also here:
a sentence closed with its mark (``closed``), capitalised (``capital``), two lines that say
the same words (``same``), and what reads as a call to action (``CTA_VERB``) or as a link the
merchant's tool fills (``MARKED_LINK``). Makes no edits itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.message.features import has_emoji
from tools.message.offers import OFFER_PHRASE
from tools.message.rules import STOP_WORD
from tools.message.text import sentences, tidy
from tools.writing import wording
from tools.writing.writer import LINK

CTA_VERB = re.compile(
    rf"^(?:{wording.CALL_VERBS}|treat|come|use|spend|start|save|reserve)\b[^.!?]{{0,40}}[.!]?$",
    re.IGNORECASE,
)
"""A sentence that asks the customer to act ("Shop now", "Treat yourself")."""
MARKED_LINK = re.compile(r":\s*§\d+§[.!]?(?:\s|$)")
"""A merge field of the merchant's tool where a link goes ("Reorder in one tap: {{3}}")."""


@dataclass
class Body:
    """A message as lines of sentences, with the breaks between lines kept."""

    lines: list[list[str]]
    breaks: list[str]

    @classmethod
    def of(cls, text: str) -> Body:
        parts = re.split(r"(\n+)", text.strip())
        lines = [sentences(p) for p in parts[0::2]]
        return cls(lines, parts[1::2])

    def text(self) -> str:
        out = ""
        for i, line in enumerate(self.lines):
            if not line:
                continue
            if out:
                out += self.breaks[i - 1] if 0 < i <= len(self.breaks) else " "
            out += tidy(" ".join(line))
        return out

    def add_paragraph(self, sentence: str, first: bool = False) -> None:
        """A paragraph of its own, at the end (or the start), as e-mails set them."""
        if first:
            self.lines.insert(0, [sentence])
            self.breaks.insert(0, "\n\n")
        else:
            self.lines.append([sentence])
            self.breaks.append("\n\n")

    def all(self) -> list[tuple[int, int, str]]:
        return [(i, j, s) for i, line in enumerate(self.lines) for j, s in enumerate(line)]

    def find(self, test: re.Pattern[str] | str) -> tuple[int, int, str] | None:
        """The first sentence matching a pattern or holding a string."""
        for i, j, s in self.all():
            if test.search(s) if isinstance(test, re.Pattern) else test in s:
                return i, j, s
        return None

    def put(self, i: int, j: int, sentence: str) -> None:
        if sentence.strip():
            self.lines[i][j] = sentence.strip()
        else:
            del self.lines[i][j]

    def insert_before_close(self, sentence: str) -> None:
        """Before the call to action and the opt-out, or at the end."""
        for i, j, s in reversed(self.all()):
            closing = LINK in s or MARKED_LINK.search(s) or STOP_WORD.search(s)
            sign_off = not re.search(r"\w", s)  # an emoji (or two) the text ends on
            if not closing and not sign_off and not CTA_VERB.match(s):
                self.lines[i][j] = closed(s)
                self.lines[i].insert(j + 1, sentence)
                return
        self.lines[0].insert(0, sentence)

    def insert_after_offer(self, sentence: str) -> None:
        """Right after the sentence that states the offer (a code or an end date belongs to
        it and never comes first), before the opt-out; before the close where none does."""
        found = self.find(OFFER_PHRASE)
        if found is None:
            self.insert_before_close(sentence)
            return
        i, j, offer = found
        if STOP_WORD.search(offer):  # the offer shares its sentence with the opt-out
            self.insert_before_close(sentence)
            return
        self.lines[i][j] = closed(offer)
        self.lines[i].insert(j + 1, sentence)

    def append(self, sentence: str) -> None:
        """At the very end, after a sentence closed with its mark."""
        if self.all():
            i, j, last = self.all()[-1]
            self.lines[i][j] = closed(last)
        self.lines[-1].append(sentence)


def closed(sentence: str) -> str:
    """A sentence that ends with its mark, so that another can follow it."""
    if re.search(r"[.!?:…)\]]$|§$|\}$", sentence) or has_emoji(sentence[-2:]):
        return sentence
    return f"{sentence}."


def capital(text: str) -> str:
    """The text opening with a capital (a merge field it opens with stays as it is)."""
    return text[:1].upper() + text[1:] if text and not text.startswith("{") else text


def same(one: str, other: str) -> bool:
    """Whether two lines say the same words (case and punctuation aside)."""

    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    return bool(words(one)) and words(one) == words(other)
