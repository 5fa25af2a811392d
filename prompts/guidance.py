"""Prompts of the guidance writer (asked in the same call as the template, to save a call)."""

GUIDANCE_INSTRUCTIONS = """Then write 2 to 4 guidance steps for the merchant, in the language \
of locale '{locale}'. Each step starts with a verb (an action), names in `pattern` the \
pattern it acts on (a name from the list), cites in `evidence` only that pattern's ids, \
quotes only numbers from the list, and does not repeat the message."""
