"""Prompts of the guidance writer (asked in the same call as the template, to save a call)."""

GUIDANCE_INSTRUCTIONS = """Also write 3 to 6 guidance steps for the merchant, most important \
first, in the merchant's language ({locale}): each an action and why, citing in `evidence` \
only ids from the list you are given, and quoting only numbers that appear in the patterns \
(lift, interval, sends). If the evidence is thin, say so."""
