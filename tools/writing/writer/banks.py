"""The phrase banks: the writer's own openings, offer lines, product, exclusivity, urgency,
code and call-to-action lines, emoji, and what a message with no offer says instead. The
offer's figures are filled in from the voucher record, never written here."""

from __future__ import annotations

from tools.domain import Purpose, VoucherType

# The agent's own openings (the arena's grammar has its own; they share no phrase bank).
HOOKS: dict[str, tuple[str, ...]] = {
    "lapsed_30d": (
        "We've kept your spot{name}.",
        "It's been a little while{name}.",
        "Nice to see you again soon{name}.",
    ),
    "lapsed_90d": (
        "We've missed having you around{name}.",
        "It's been too long{name}.",
        "Welcome back{name}!",
    ),
    "vip": (
        "You're one of our very best{name}.",
        "A thank-you for our best customers{name}.",
        "First in line, as always{name}.",
    ),
    "cart_abandoner": (
        "Your basket is still here{name}.",
        "You were so close{name}!",
        "We held on to your basket{name}.",
    ),
    "birthday": (
        "Happy birthday{name}!",
        "Cheers to your birthday{name}!",
        "A birthday treat for you{name}.",
    ),
    "new_customer": (
        "Welcome aboard{name}!",
        "So glad you joined{name}.",
        "Your first order starts here{name}.",
    ),
    "deal_seeker": (
        "This one is worth a look{name}.",
        "A deal just for you{name}.",
        "Good timing{name}!",
    ),
    "repeat_buyer": (
        "Here's to your next order{name}.",
        "Great to see you again{name}.",
        "Time for your next one{name}.",
    ),
}
GREETING_HOOK = ("Hi{name}!",)
"""The opening of a segment with none of its own: a greeting by name, or nothing (a line
that says nothing, such as "Something special.", would read the same for every shop)."""
QUESTION_HOOKS: dict[str, tuple[str, ...]] = {
    "cart_abandoner": ("Still deciding{name}?", "Did something distract you{name}?"),
    "lapsed_30d": ("Looking for something new{name}?",),
    "lapsed_90d": ("Shall we pick up where we left off{name}?", "Miss us too{name}?"),
    "birthday": ("How about a birthday treat{name}?",),
    "repeat_buyer": ("Time to restock{name}?", "Back for more{name}?"),
    "new_customer": ("Ready for your first order{name}?",),
    "vip": ("Want first pick{name}?",),
    "deal_seeker": ("Up for a good deal{name}?",),
}
OFFER_LINES: dict[VoucherType, tuple[str, ...]] = {
    VoucherType.PERCENT_OFF: (
        "Take {v}% off {target}{spend}.",
        "Enjoy {v}% off {target}{spend}.",
        "Save {v}% on {target}{spend}.",
        "Here's {v}% off {target}{spend}.",
    ),
    VoucherType.AMOUNT_OFF: (
        "Take {v} off {target}{spend}.",
        "Save {v} on {target}{spend}.",
        "Here's {v} off {target}{spend}.",
    ),
    VoucherType.FREE_SHIPPING: (
        "Get free shipping on {target}{spend}.",
        "Enjoy free delivery on {target}{spend}.",
        "Shipping is on us for {target}{spend}.",
    ),
    VoucherType.BOGO: ("Buy one {product}, get one free.", "Buy one, get one free on {target}."),
    VoucherType.GIFT: (
        "Get a free gift with {target}.",
        "A free gift comes with {target}.",
        "Pick up a free gift with {target}.",
    ),
    VoucherType.THRESHOLD: (
        "Spend {m} and save {v} on {target}.",
        "Take {v} off {target} when you spend {m}.",
        "Save {v} on {target} when you spend {m} or more.",
    ),
}
PRODUCT_LINES = (
    "{Target} is waiting for you.",
    "Meet {target}.",
    "Take a closer look at {target}.",
    "Have you seen {target}?",
)
EXCLUSIVE_LINES: dict[str, tuple[str, ...]] = {
    "vip": (
        "Reserved for our best customers.",
        "Just for you, as one of our VIPs.",
        "An exclusive offer for our VIPs.",
    ),
    "": ("Just for you.", "An exclusive offer for you.", "Reserved for our members."),
}
URGENT_DATED = ("Only until {date}.", "Valid until {date}.", "It ends {date}.")
URGENT_UNDATED = ("Don't wait too long.", "Don't wait on this one.")
"""A reason to act now without a deadline or a stock level the voucher does not give."""
CODE_LINES = (
    "Use code {code} at checkout.",
    "Your code: {code}.",
    "Just enter {code} at checkout.",
)
CTA_LINES = (
    "Shop now: {link}",
    "Tap to shop: {link}",
    "Find yours at {link}",
    "Order today: {link}",
    "See it here: {link}",
)
EMOJI: dict[str, tuple[str, ...]] = {
    "birthday": ("🎂", "🎉"),
    "cart_abandoner": ("🛒",),
    "vip": ("✨",),
    "new_customer": ("👋",),
    "": ("🎁", "✨", "🛍️"),
}


PURPOSE_LINES: dict[Purpose, tuple[str, ...]] = {
    # What a message with no offer says instead, from the request's facts alone.
    Purpose.BACK_IN_STOCK: ("{Target} is back in stock.", "Good news: {target} is back."),
    Purpose.NEW_ARRIVALS: ("Just in: {new}.", "Meet {new}."),
    Purpose.PRICE_DROP: ("{Target} just dropped in price.", "A lower price on {target}."),
    Purpose.CART_REMINDER: ("Your basket is still waiting for you.", "You left {target} behind."),
    Purpose.LOYALTY: ("Your rewards are waiting for you.", "Your points are ready to use."),
    Purpose.BIRTHDAY: ("Happy birthday from all of us.",),
    Purpose.WINBACK: ("It's been a while. Come see what's new.",),
    Purpose.ANNOUNCEMENT: ("We have news to share.",),
    Purpose.PROMOTION: ("Take a look at {target}.",),
}
