"""Small text helpers shared by the writer and the rule engine."""

from __future__ import annotations

import functools
import re

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
