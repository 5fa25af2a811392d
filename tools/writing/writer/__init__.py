"""The grounded copywriter: writes a message from a plan (features to use and avoid),
adapting an exemplar slot by slot, with no model.

An exemplar's sentences are sorted into slots (hook, offer, product, social proof,
exclusivity, urgency, code, call to action, opt-out). The hook and the call to action are
kept when they are clean and generic, the merchant's own social-proof and exclusivity lines
too; the offer, code and deadline are always rewritten from the voucher record, so no
number is ever copied from another campaign. Missing slots come from phrase banks, picked
by a seed drawn from the request, so that campaigns read differently but one request
always gets the same text.

What the writer is given (``plan``: the plan, the exemplar, the placeholders), the phrase
banks (``banks``), the draft and its slots (``draft``), what of the merchant's own words
carries over (``own``), and the writer itself (``copywriter``).
"""

from __future__ import annotations

from tools.writing.writer.copywriter import Writer, request_seed
from tools.writing.writer.plan import LINK, NAME, QUIET_VOICES, Exemplar, WritePlan

__all__ = ["LINK", "NAME", "QUIET_VOICES", "Exemplar", "WritePlan", "Writer", "request_seed"]
