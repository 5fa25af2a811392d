"""Small text helpers shared by the writer and the rule engine."""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.!?;:])")
_DOTS = re.compile(r"\.{2,}(?!\.)")
ACRONYMS = frozenset({"VIP", "VIPS", "STOP", "OK", "USA", "UK", "EU", "TV", "BOGO", "SMS", "FAQ"})


def sentences(text: str) -> list[str]:
    """A text split into sentences (a sentence keeps its closing punctuation)."""
    return [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]


@functools.lru_cache(maxsize=8192)
def tidy(text: str) -> str:
    """One space between words, none before punctuation, no doubled full stops. Kept for
    the last few thousand texts: the writer tidies a draft's body at every step, and the
    drafts of one request share most of their steps."""
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", text.strip()))
    return _DOTS.sub(".", text).replace("..", ".")


def sentence_case(text: str) -> str:
    """Shouted text in sentence case, keeping placeholders and codes as they are."""
    words = text.split(" ")
    result = []
    start = True
    for word in words:
        bare = word.strip(".,!?:;")
        if "{" in word or any(ch.isdigit() for ch in word) or bare in ACRONYMS:
            result.append(word)
        elif word.isupper() and len(word) > 1:
            lowered = word.lower()
            result.append(lowered[:1].upper() + lowered[1:] if start else lowered)
        else:
            result.append(word)
        start = word.endswith((".", "!", "?"))
    return " ".join(result)


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def ungrounded_numbers(text: str, grounded: str) -> list[str]:
    """Numbers in ``text`` that do not appear in ``grounded`` (a model must not invent any)."""
    allowed = {n.replace(",", ".") for n in _NUMBER.findall(grounded)}
    allowed |= {n.rstrip("0").rstrip(".") for n in allowed if "." in n}
    return [n for n in _NUMBER.findall(text) if n.replace(",", ".") not in allowed]


class Pasted(NamedTuple):
    """An e-mail pasted whole into the text box, read into its parts."""

    subject: str | None
    preheader: str | None
    body: str


_LABEL = re.compile(
    r"(?:^|\s*\|\s*|\n+)\s*(subject(?: line)?|pre-?header(?: text)?|preview(?: text)?|body|"
    r"message)\s*:\s*",
    re.IGNORECASE,
)
_PARTS = {"subject": "subject", "pre": "preheader", "preview": "preheader"}


def unpaste(text: str) -> Pasted | None:
    """An e-mail pasted with its labels ("Subject: ... | Preview: ... | Body: ...", or a
    "Subject: ..." line before the body) as its subject, preheader and body; None for a
    text that does not open with such a label. A text that is only a subject line has an
    empty body."""
    labels = list(_LABEL.finditer(text))
    if not labels or labels[0].start() != 0:
        return None
    found: dict[str, str] = {}
    body = ""
    for label, following in zip(labels, [*labels[1:], None], strict=True):
        name = label.group(1).lower()
        value = text[label.end() : following.start() if following else len(text)]
        part = next((v for k, v in _PARTS.items() if name.startswith(k)), "body")
        if part != "body" and following is None and "\n" in value.strip():
            # "Subject: ..." on a line of its own, the body after it, unlabelled.
            value, body = value.strip().split("\n", 1)
        if part == "body":
            body = value
        else:
            found.setdefault(part, value.strip())
    return Pasted(found.get("subject") or None, found.get("preheader") or None, body.strip())
