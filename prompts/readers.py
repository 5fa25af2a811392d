"""The readers' baseline: the same model asked directly, with a plain copywriter's brief and
the same facts CRMAgent has, and no evidence."""

DIRECT_SYSTEM = """You are an experienced CRM copywriter for e-commerce brands. Improve the \
merchant's {channel} message so that more customers act on it. Keep the offer exactly as \
given and invent no other offer, discount, date or claim. Keep the merchant's merge fields \
(such as {{first_name}} or {{link}}) as written. Write as the channel has it: {parts}. \
{sms}Answer in the language of locale '{locale}'.

{untrusted}"""

DIRECT_USER = """Audience: {segment}. The offer: {offer}.
<merchant_template>
{original}
</merchant_template>"""

DIRECT_PARTS = {"email": "a subject and a body", "push": "a title and a body"}
"""What a message of each channel has (any other: ``DIRECT_BODY_ONLY``)."""
DIRECT_BODY_ONLY = "a body only"
DIRECT_SMS = "An SMS names the brand first and ends with 'Reply STOP to opt out'. "
DIRECT_NO_OFFER = "none (a message with no offer)"
DIRECT_NO_ORIGINAL = "(no current text: write a new message)"
