"""What the writer is given: the plan (features to use and avoid), the exemplar it adapts,
and the placeholders and voices it writes for."""

from __future__ import annotations

from dataclasses import dataclass

NAME = "{first_name}"
LINK = "{link}"
QUIET_VOICES = frozenset({"premium", "minimal"})
"""Brand voices the writer keeps emoji and exclamation marks out of."""


@dataclass(frozen=True)
class WritePlan:
    """What the message should carry and avoid, most valuable first."""

    use: tuple[str, ...]
    avoid: frozenset[str] = frozenset()
    sms_segments: int = 1
    decided: frozenset[str] = frozenset()
    """The features evidence decided (the rest of ``use`` and ``avoid`` is best practice)."""

    def overrules(self, feature: str, helps: bool) -> bool:
        """Whether the plan went the other way on a feature that evidence says helps (or
        hurts): best practice stood against evidence too unsure to overturn it, or the
        feature is one a message always carries."""
        return feature in (self.avoid if helps else self.use)


@dataclass(frozen=True)
class Exemplar:
    """A text to adapt: the merchant's own (voice and claims reusable) or another's."""

    template_id: str
    text: str
    subject: str | None = None
    own: bool = False
