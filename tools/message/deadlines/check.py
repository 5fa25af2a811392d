"""Checking deadline claims against the voucher: a sentence for each claim its expiry does
not back, saying what the voucher does.
"""

from __future__ import annotations

from datetime import date

from tools.message.deadlines.claims import deadline_claims


def _relative(days: int) -> str:
    if days == 0:
        return "the send date"
    if abs(days) == 1:
        return f"the day {'after' if days > 0 else 'before'} the send date"
    return f"{abs(days)} days {'after' if days > 0 else 'before'} the send date"


def _when(day: date, send_date: date, weekday: bool) -> str:
    named = f"{day:%A}, " if weekday else ""
    year = f", {day.year}" if day.year != send_date.year else ""
    return f"{named}{day:%b} {day.day}{year}"


def deadline_errors(
    text: str, expires: date | None, send_date: date, *, has_voucher: bool = False
) -> list[str]:
    """A sentence for each deadline claim in ``text`` the voucher's expiry does not back.

    ``expires`` is None when nothing ends: say ``has_voucher=True`` when there is a voucher
    (that simply never expires), for the more precise "the offer has no end date".
    """
    errors: list[str] = []
    for claim in deadline_claims(text):
        if claim.holds(expires, send_date):
            continue
        if expires is None:
            truth = "the offer has no end date" if has_voucher else "nothing in the request ends"
        else:
            days = (expires - send_date).days
            when = _when(expires, send_date, bool(claim.weekdays))
            verb = "runs until" if days >= 0 else "expired on"
            truth = f"the voucher {verb} {when} ({_relative(days)})"
        errors.append(f"says '{claim.phrase}' but {truth}")
    return errors
