"""Prompts of the template agent: the wording of a grounded draft, its facts held in slots.

The model sees the draft's lines with every fact (offer, code, date, link, name) replaced
by a slot it must keep; the slots are filled in after it answers. It never sees the
merchant's original, an exemplar or the voucher record: the grounded draft already carries
what they hold, and a small model copies what it is shown (a code, a date from the
original)."""

WRITER_SYSTEM = """You reword the lines of one {channel} message of an e-commerce merchant, \
in a {voice} voice, in the language of locale '{locale}'.
- Write one line for each numbered line, in the same order, doing the same job.
- Keep each {{slot}} of a line exactly as written; slots are filled in after you. Write no \
number, code, date, link or offer of your own.
- No deadline ("today only"), no runs of capitals, no '!!'. Never use: {forbidden}.
- Keep each line about as long as it is ({limits}).
{guidance_instructions}

{untrusted}"""

WRITER_USER = """Purpose: {purpose}; the offer is on {target}; audience: {segment}.
Use: {use}. Avoid: {avoid}.
{versions}<merchant_template>
{lines}
</merchant_template>
Patterns (name: lift, sends, evidence ids):
{patterns}"""

VERSIONS = "Write {n} different versions of the lines (candidates), each a full set.\n"
"""Best of n: several wordings in one call, each checked; the patterns pick one."""

LINE_FEEDBACK = "Fix exactly these spans and answer again: {problems}"
"""A retry names the failing span of each line, so the model changes only that."""
