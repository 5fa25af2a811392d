"""What of the merchant's own words a writer may carry over: an exemplar's opening, its
social-proof and exclusivity lines, and plain sentences of its current and past texts (no
number, no placeholder, no stale news of the stock, no other product's name, no word the
merchant forbids)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tools.domain import CampaignRequest, Merchant
from tools.message.features import CopyContext, copy_features, has_emoji, is_shouting
from tools.message.offers import stated_facts
from tools.message.text import sentences
from tools.writing.writer.plan import QUIET_VOICES, Exemplar, WritePlan

_LENGTH_FEATURES = frozenset({"long_copy", "short_copy"})


def _featured(features: dict[str, bool]) -> bool:
    """Whether a sentence carries a copy feature (its length aside)."""
    return any(v for f, v in features.items() if f not in _LENGTH_FEATURES)


_OPT_OUT_TALK = re.compile(r"\bstop\b|\bopt[- ]?out\b|\bunsubscribe", re.IGNORECASE)
"""How to stop the messages: an SMS rule, never a room-filler."""
_STOCK_NEWS = re.compile(
    r"\b(?:back in stock|restocked|(?:just|has|have) (?:landed|arrived|dropped)|sold out|"
    r"selling fast|low (?:in )?stock|limited stock|while stocks? lasts?)\b",
    re.IGNORECASE,
)
"""News of the stock on the day a message went out (``OwnWords._stale``)."""
_PROPER_NAME = re.compile(r"\b[A-Z][a-z]+\s+[A-Z][a-z]+")
"""Two capitalised words past a sentence's first letter: a product's or a brand's name."""

_VOICE_READINGS: dict[tuple[object, ...], tuple[tuple[str, ...], str]] = {}
"""What ``OwnWords._from_voice`` read, by past texts, channel, product and merchant rules."""


class OwnWords:
    """What a ``Writer`` reads in the merchant's own texts (its exemplar, its current text,
    its past texts) and may carry over into the message."""

    request: CampaignRequest
    merchant: Merchant
    voice: tuple[str, ...]
    _forbidden: list[re.Pattern[str]]
    _openings: dict[tuple[Exemplar, bool], str]
    _lines: dict[Exemplar, dict[str, str]]
    _plain: dict[Exemplar | None, list[str]]

    def _allowed(self, sentence: str) -> bool:
        return not any(p.search(sentence) for p in self._forbidden)

    def _voice(self, sentence: str) -> str:
        if self.merchant.brand_voice in QUIET_VOICES:
            return sentence.replace("!", ".")
        return sentence

    def _reusable_hook(self, exemplar: Exemplar, plan: WritePlan) -> str:
        """The exemplar's opening line, if it is generic enough to carry over."""
        key = (exemplar, "question" in plan.use)
        if key not in self._openings:
            self._openings[key] = self._opening(exemplar, plan)
        return self._openings[key]

    def _opening(self, exemplar: Exemplar, plan: WritePlan) -> str:
        parts = sentences(exemplar.text)
        if not parts:
            return ""
        first = parts[0]
        facts = stated_facts(first)
        context = CopyContext(self.request.channel, self.request.product_name or "")
        features = copy_features(first, None, context)
        checks = (
            len(first) > 60,
            any(ch.isdigit() for ch in first),
            bool(facts.kinds),
            features["offer_stated"] or features["cta"] or features["urgency"],
            is_shouting(first) or has_emoji(first),
            bool(re.sub(r"\{first_name\}", "", first).count("{")),
            ("?" in first) != ("question" in plan.use),
            not self._allowed(first),
            self._names_another(first),
            self._stale(first),
        )
        unsafe = any(checks)
        return "" if unsafe else first

    def own_lines(self, exemplar: Exemplar) -> dict[str, str]:
        """The merchant's own social-proof and exclusivity lines, safe to reuse."""
        if exemplar not in self._lines:
            self._lines[exemplar] = self._reusable_lines(sentences(exemplar.text)[1:])
        return self._lines[exemplar]

    def _reusable_lines(self, candidates: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        context = CopyContext(self.request.channel, self.request.product_name or "")
        for sentence in candidates:
            features = copy_features(sentence, None, context)
            if (
                not self._reusable(sentence)
                or features["offer_stated"]
                or features["cta"]
                or features["urgency"]
                or len(sentence) > 80
            ):
                continue
            for feature in ("social_proof", "exclusivity"):
                if features[feature] and feature not in found:
                    found[feature] = sentence
        return found

    def _plain_lines(self, exemplar: Exemplar | None) -> list[str]:
        """Sentences of the merchant's own (its current text, its own exemplar, its past
        texts) that carry no copy feature, no number and no placeholder: room-fillers in its
        own voice; then the writer's courtesy lines."""
        key = exemplar if exemplar is not None and exemplar.own else None
        if key not in self._plain:
            self._plain[key] = self._room_fillers(key)
        return self._plain[key]

    def _room_fillers(self, own: Exemplar | None) -> list[str]:
        texts = [self.request.original_template or "", *([own.text] if own is not None else [])]
        found = self._fillers_in(texts)
        found += [line for line in self._from_voice()[0] if line not in found]
        return found

    def _from_voice(self) -> tuple[tuple[str, ...], str]:
        """The plain lines and the first social-proof claim in the merchant's past texts:
        the same for every writer of the merchant and product, so read once for them all."""
        merchant = self.merchant
        key = (
            self.voice,
            self.request.channel,
            self.request.product_name,
            merchant.forbidden_words,
            merchant.brand_voice,
        )
        found = _VOICE_READINGS.get(key)
        if found is None:
            claims = (self._reusable_lines(sentences(t)).get("social_proof") for t in self.voice)
            found = (tuple(self._fillers_in(self.voice)), next((c for c in claims if c), ""))
            if len(_VOICE_READINGS) >= 4096:
                _VOICE_READINGS.clear()
            _VOICE_READINGS[key] = found
        return found

    def _fillers_in(self, texts: Sequence[str]) -> list[str]:
        context = CopyContext(self.request.channel, self.request.product_name or "")
        found: list[str] = []
        for sentence in (s for text in texts for s in sentences(text)):
            if (
                not _featured(copy_features(sentence, None, context))
                and self._reusable(sentence)
                and 20 <= len(sentence) <= 140
                and sentence[-1] in ".!"
                and not any(ch in "$%@/" for ch in sentence)
                and not re.search(r"\w\.\w", sentence)  # a domain, a file name
                and not stated_facts(sentence).kinds
                and (voiced := self._voice(sentence)) not in found
            ):
                found.append(voiced)
        return found

    def _reusable(self, sentence: str) -> bool:
        """Whether a sentence of the merchant's may carry over at all: no number (offers
        and dates are written from the voucher), no placeholder, no opt-out instruction (the
        writer adds the one a channel needs), no stale news of the stock, no shouting, no
        other product's name, no word the merchant forbids."""
        return (
            not any(ch.isdigit() for ch in sentence)
            and "{" not in sentence
            and "}" not in sentence
            and not _OPT_OUT_TALK.search(sentence)
            and not self._stale(sentence)
            and not is_shouting(sentence)
            and not self._names_another(sentence)
            and self._allowed(sentence)
        )

    def _stale(self, sentence: str) -> bool:
        """News of the stock from a past message ("back in stock"): true the day it was
        sent, not known now. The campaign's current text may say it: that is today's."""
        return bool(_STOCK_NEWS.search(sentence)) and sentence not in (
            self.request.original_template or ""
        )

    def _names_another(self, sentence: str) -> bool:
        """Whether a sentence names a product or brand other than this campaign's and the
        merchant's: a past line about another product ("The Luna Yoga Mat just landed") was
        true of that product, and another merchant's names are its own."""
        for name in (self.request.product_name, self.merchant.name):
            if name:
                sentence = sentence.replace(name, "")
        return bool(_PROPER_NAME.search(sentence[1:]))
