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


# -- rewrite: a capable model writes the whole message --------------------------------------

REWRITE_SYSTEM = """You are the copywriter of an e-commerce merchant's CRM messages. Rewrite \
the merchant's {channel} message to this audience so that more customers act on it, in a \
{voice} voice, in the language of locale '{locale}'.
- Write the whole message as the channel has it: {parts}. {limits}
- The offer's facts only as slots, exactly as written: {slots}. They are filled in after \
you answer. Write no percent, amount, code, date or link of your own and no offer the slots \
do not hold. A number the original states about the merchant (a price, points, a count) \
may stay as written.
- Keep the merchant's own merge fields exactly as written: {merge}.
- Keep what the message is for ({purpose}) and what it names (its product, its news), the \
merchant's sentences that already work and its voice: change what the plan asks and what \
reads badly, so that the merchant recognises its message, better.
- Make each change the plan asks for; keep what it says to keep; best practice alone is a \
suggestion.
- {deadline}
- {sender}
- No runs of capitals, no '!!'. Never use: {forbidden}.
{guidance_instructions}

{untrusted}"""

REWRITE_USER = """Audience: {segment}. Purpose: {purpose}. The offer is on {target}.
Slots: {slot_values}
<merchant_template>
{original}
</merchant_template>
The plan (change: lift, 90% interval, sends, evidence ids):
{plan}
Keep: {keep}
Patterns (name: lift, sends, evidence ids):
{patterns}"""

REWRITE_FEEDBACK = "Your message breaks these rules; fix exactly these and answer again: \
{problems}"
"""A retry names each failure, so the model keeps what passed."""

REWRITE_PARTS = {
    "email": "a subject, a preheader and a body",
    "push": "a title (subject) and a body",
}
"""What a message of each channel has (any other: ``REWRITE_BODY_ONLY``)."""
REWRITE_BODY_ONLY = "a body only (no subject)"
REWRITE_DEADLINE = "Say when the offer ends only with {expires}."
REWRITE_NO_DEADLINE = "Promise no deadline and no scarcity: the offer has no end date."
REWRITE_SMS_FRAME = "Do not write the sender's name or the opt-out: both are added after you."
REWRITE_UNSIGNED = "Do not sign the message."
REWRITE_KEEP = "the merchant's words, voice and order where the plan does not ask to change them"
REWRITE_NO_CHANGE = "- (no change is asked for)"
REWRITE_NO_ORIGINAL = "(no current text: write a new message)"
