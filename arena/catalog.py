"""The arena's fixed vocabulary: product taxonomy with price ranges, product names, merchant
names, brand voices and the words merchants forbid. Seeds pick from these; nothing here is
random by itself.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Leaf:
    """A leaf of the product taxonomy with the products sold under it."""

    path: str
    nouns: tuple[str, ...]
    price_range: tuple[float, float]


TAXONOMY: tuple[Leaf, ...] = (
    Leaf("apparel>shoes>running", ("Trail Runner", "Road Racer", "Cloud Runner"), (60, 180)),
    Leaf("apparel>shoes>casual", ("Canvas Sneaker", "Leather Loafer", "Slip-On"), (40, 140)),
    Leaf("apparel>outerwear>jackets", ("Rain Shell", "Puffer Jacket", "Denim Jacket"), (70, 320)),
    Leaf("apparel>basics>t-shirts", ("Crew Tee", "Pocket Tee", "Organic Tee"), (12, 40)),
    Leaf("beauty>skincare>serums", ("Vitamin C Serum", "Night Serum", "Hydra Serum"), (18, 90)),
    Leaf("beauty>skincare>moisturisers", ("Day Cream", "Gel Moisturiser", "Rich Cream"), (15, 70)),
    Leaf("beauty>makeup>lipstick", ("Matte Lipstick", "Lip Tint", "Satin Lipstick"), (9, 35)),
    Leaf("home>kitchen>cookware", ("Cast Iron Pan", "Chef's Knife", "Dutch Oven"), (35, 260)),
    Leaf("home>decor>candles", ("Soy Candle", "Amber Candle", "Linen Candle"), (12, 45)),
    Leaf("home>bedding>sheets", ("Linen Sheet Set", "Percale Sheets", "Duvet Cover"), (60, 240)),
    Leaf("electronics>audio>headphones", ("Wireless Earbuds", "Studio Headphones"), (40, 350)),
    Leaf("electronics>phones>accessories", ("Fast Charger", "Phone Case", "Power Bank"), (10, 60)),
    Leaf("electronics>smart-home>speakers", ("Smart Speaker", "Mini Speaker"), (30, 220)),
    Leaf("sports>fitness>yoga", ("Yoga Mat", "Yoga Block Set", "Cork Mat"), (15, 110)),
    Leaf("sports>outdoor>camping", ("Two-Person Tent", "Camp Stove", "Sleeping Bag"), (40, 400)),
    Leaf("sports>cycling>helmets", ("Road Helmet", "City Helmet"), (45, 200)),
    Leaf("food>coffee>beans", ("Espresso Blend", "Single-Origin Beans", "Decaf Blend"), (9, 30)),
    Leaf("food>snacks>chocolate", ("Dark Chocolate Box", "Truffle Selection"), (8, 45)),
    Leaf("food>tea>loose-leaf", ("Earl Grey", "Jasmine Green Tea", "Chai Blend"), (7, 28)),
)

PRODUCT_PREFIXES: tuple[str, ...] = (
    "Aero",
    "Nova",
    "Alpine",
    "Coast",
    "Ember",
    "Summit",
    "Willow",
    "Harbor",
    "Luna",
    "Terra",
)

MERCHANT_FIRST: tuple[str, ...] = (
    "Northwind",
    "Bluebird",
    "Maple",
    "Copper",
    "Juniper",
    "Sierra",
    "Oak & Ash",
    "Saltwater",
    "Little",
    "Golden",
    "Urban",
    "Wild",
    "Brightside",
    "Meadow",
    "Ironwood",
    "Kestrel",
)
MERCHANT_SECOND: tuple[str, ...] = (
    "Outfitters",
    "Goods",
    "Supply",
    "Market",
    "Studio",
    "Co.",
    "House",
    "Collective",
    "Store",
    "Works",
)

BRAND_VOICES: tuple[str, ...] = ("friendly", "premium", "playful", "minimal", "bold")

FORBIDDEN_POOL: tuple[str, ...] = (
    "cheap",
    "bargain",
    "crazy",
    "insane",
    "guaranteed",
    "best ever",
    "steal",
    "blowout",
)

MAX_DISCOUNTS: tuple[float, ...] = (20.0, 30.0, 40.0, 50.0)

PRICE_LEVELS: tuple[str, ...] = ("low", "mid", "high")


def price_level(price: float) -> str:
    """Low, mid or high price, the level that decides percent vs amount framing."""
    if price < 40:
        return "low"
    if price < 150:
        return "mid"
    return "high"


def top_level(path: str) -> str:
    """The top-level category of a taxonomy path."""
    return path.split(">", 1)[0]
