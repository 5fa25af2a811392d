"""Deadline claims: "today only", "ends tonight", "next 2 hours", "ends Sunday" and the like.

A deadline is an offer fact: the copy must not say an offer ends sooner (or later) than the
voucher does. ``deadline_claims`` finds the relative deadlines a text states (explicit dates
such as "Dec 31" are checked in ``tools.message.offers``), ``deadline_errors`` names each one the
voucher's expiry does not back, and ``drop_unsupported`` removes them so the rest still reads
naturally. Soft urgency ("hurry", "limited time", "don't wait", "ends soon") states no
deadline and is left alone.

One module per step: ``claims`` (reading them), ``check`` (against the voucher) and ``drop``
(removing the unsupported ones).
"""

from __future__ import annotations

from tools.message.deadlines.check import deadline_errors
from tools.message.deadlines.claims import DeadlineClaim, deadline_claims
from tools.message.deadlines.drop import drop_unsupported

__all__ = ["DeadlineClaim", "deadline_claims", "deadline_errors", "drop_unsupported"]
