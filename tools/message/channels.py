"""Channel limits: SMS segment counting (GSM-7 or UCS-2), push and e-mail lengths.

A single character outside the GSM-7 alphabet (an emoji, a curly quote) switches an SMS to
UCS-2, which cuts a segment from 160 to 70 characters; that is why one emoji can double
what a message costs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
"""Characters GSM-7 sends as two septets (an escape and the character)."""
_GSM7 = GSM7_BASIC | GSM7_EXTENDED


@dataclass(frozen=True)
class SmsCount:
    """How an SMS is encoded and how many segments it needs."""

    encoding: str
    units: int
    segments: int
    per_segment: int


def sms_count(text: str) -> SmsCount:
    """Encoding, length in code units and segments of an SMS (concatenated parts carry a
    header, so 153 GSM-7 or 67 UCS-2 units per part once there is more than one)."""
    if _GSM7.issuperset(text):
        units = len(text) + sum(text.count(ch) for ch in GSM7_EXTENDED.intersection(text))
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else math.ceil(units / multi)
    return SmsCount(encoding, units, max(segments, 1), single if segments <= 1 else multi)


@dataclass(frozen=True)
class ChannelLimits:
    """What a channel shows before it cuts or charges more."""

    body_chars: int
    subject_chars: int | None
    ideal_body_chars: tuple[int, int]
    """The body length best practice aims for, low to high."""

    @property
    def middle_body_chars(self) -> int:
        """The middle of the sweet spot (geometric: lengths matter in proportion)."""
        low, high = self.ideal_body_chars
        return round(math.sqrt(low * high))


LIMITS: dict[str, ChannelLimits] = {
    "sms": ChannelLimits(body_chars=160, subject_chars=None, ideal_body_chars=(70, 155)),
    "push": ChannelLimits(body_chars=110, subject_chars=40, ideal_body_chars=(50, 105)),
    "im": ChannelLimits(body_chars=1000, subject_chars=None, ideal_body_chars=(80, 220)),
    "email": ChannelLimits(body_chars=5000, subject_chars=50, ideal_body_chars=(150, 600)),
}


def body_fits(channel: str, body: str, sms_segments: int = 1) -> bool:
    """Whether a body fits its channel (for SMS: within ``sms_segments`` segments)."""
    if channel == "sms":
        return sms_count(body).segments <= sms_segments
    return len(body) <= LIMITS[channel].body_chars
