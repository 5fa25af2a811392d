"""Merge fields: the placeholders of the tools merchants write in, read into ours and back.

Merchants paste messages written for Klaviyo, Shopify, Mailchimp, WhatsApp templates or a
template library. ``to_ours`` maps their name, link and shop placeholders to ``{first_name}``,
``{link}`` and ``{shop_name}`` and remembers how each was written (``MergeSyntax``), so
``to_merchant`` hands the message back in the merchant's own tokens. It also lists the blanks
a template library leaves for the merchant (``[Product Name]``, ``XX%``, ``{{3}}``), which
``fill`` fills from known values or reports: a message with a blank in it must never ship.

Tokens that belong to the merchant's tool but are none of ours (an unsubscribe link, a
Mailchimp ``*|ARCHIVE|*``, a Liquid ``{% if %}``) stay in the text exactly as written.

One module per step: ``syntax`` (the families, our fields and the types), ``names`` (what
the names in a merchant's tokens mean), ``parse`` (``to_ours``) and ``write``
(``to_merchant``, ``fill``).
"""

from __future__ import annotations

from tools.message.merge_fields.parse import to_ours
from tools.message.merge_fields.syntax import (
    FAMILIES,
    FIELDS,
    Family,
    Field,
    MergeSyntax,
    Parsed,
    Slot,
    SlotKind,
    syntax_named,
)
from tools.message.merge_fields.write import fill, to_merchant

__all__ = [
    "FAMILIES",
    "FIELDS",
    "Family",
    "Field",
    "MergeSyntax",
    "Parsed",
    "Slot",
    "SlotKind",
    "fill",
    "syntax_named",
    "to_merchant",
    "to_ours",
]
