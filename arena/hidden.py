"""The arena's latent variables: drawn from the seed, kept in their own SQLite file
(``<home>/arena/hidden.sqlite``) that only the arena's generator and scorer read.

Response weights on copy features per segment and per merchant (some help one segment and
hurt another), channel effects (emoji in IM vs e-mail, the length a channel rewards, what a
channel's limits cost), base rates per merchant, price sensitivity per segment, offer
framing by price level, and the penalty for an offer that contradicts the voucher.

Worlds come in kinds (``WORLD_KINDS``). In the ``default`` world the structure is fixed and
agrees with trade best practice, drawn with small noise per seed. In a ``contrarian`` world,
per seed, about half of the segment x feature and channel x feature effects are drawn
independently of that structure (some of them reversed: urgency that puts the lapsed off,
emoji that help an e-mail to one segment), merchants' own tastes are several times wider,
and phrasings no copy feature names (a hook's style, an offer's verb, a call to action's
wording, the tone of social proof) move clicks per segment and per merchant: only copying
what top texts actually say can capture those. A ``mixed`` world sits between the two. The
drawn effects come from a stream of their own, so a contrarian world has the same
merchants, campaigns and texts as the default world of its seed; only outcomes differ.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from arena.catalog import PRICE_LEVELS
from tools.domain import CANONICAL_SEGMENTS, Channel, VoucherType

COPY_FEATURES: tuple[str, ...] = (
    "offer_stated",
    "offer_early",
    "product_named",
    "urgency",
    "personalised",
    "exclusivity",
    "social_proof",
    "code_stated",
    "cta",
    "emoji",
    "question",
    "shouting",
    "vague_offer",
)
"""Features whose weights act on the click-through logit."""

OPEN_FEATURES: tuple[str, ...] = ("offer_early", "personalised", "question", "shouting")
"""Features visible before opening (preview, subject) that act on the open logit."""

WORLD_KINDS: tuple[str, ...] = ("default", "contrarian", "mixed")
"""World kinds: best practice's structure, one drawn against it, and half of each."""

SIGN_KEPT: frozenset[str] = frozenset({"offer_stated", "shouting", "vague_offer"})
"""Features whose effects keep their sign in every world: the rules bind the agent on a
concrete offer, shouting and a vague offer, and a world that rewarded shouting would score
compliance, not learning."""

DRAWN_FEATURES: tuple[str, ...] = tuple(f for f in COPY_FEATURES if f not in SIGN_KEPT)
"""Features whose effects a contrarian world may draw against best practice."""

PHRASES: dict[str, str] = {
    "hook_miss": r"\bmiss(?:ed)? you\b|long time no see|been a (?:while|few weeks)",
    "hook_thanks": r"\bthank(?:s| you)\b",
    "hook_news": r"good news|fresh picks|deal alert|savings ahead|worth it",
    "hook_hi": r"^hi\b",
    "verb_take": r"\btake (?:\$|\d)",
    "verb_enjoy": r"\benjoy\b",
    "verb_save": r"\bsave (?:\$|\d)",
    "verb_get": r"\bget (?:\d|free|a free|one|two)",
    "cta_shop_now": r"\bshop now\b",
    "cta_tap": r"\btap to shop\b",
    "cta_order": r"\border today\b",
    "cta_claim": r"\bclaim it\b",
    "cta_grab": r"\bgrab yours\b",
    "cta_browse": r"\bsee the collection\b",
    "proof_count": r"loved by|thousands of",
    "proof_rating": r"rated \d|bestseller",
    "urgency_dated": r"\b(?:until|ends) [A-Z][a-z]{2} \d",
    "urgency_now": r"today only|tonight|48 hours|hurry",
}
"""Phrasings (regular expressions, case-insensitive) that the agent's feature list does not
tell apart: all CTAs are one ``cta`` to it, all offers one ``offer_stated``."""

SEGMENTS: tuple[str, ...] = CANONICAL_SEGMENTS
CHANNELS: tuple[str, ...] = tuple(channel.value for channel in Channel)
VOUCHER_TYPES: tuple[str, ...] = tuple(kind.value for kind in VoucherType)

_BASE_WEIGHTS = {
    "offer_stated": 0.35,
    "offer_early": 0.15,
    "product_named": 0.10,
    "urgency": 0.10,
    "personalised": 0.15,
    "exclusivity": 0.05,
    "social_proof": 0.08,
    "code_stated": 0.08,
    "cta": 0.30,
    "emoji": 0.0,
    "question": 0.0,
    "shouting": -0.35,
    "vague_offer": -0.20,
}
# Where segments part ways: urgency moves the lapsed and hurts VIPs, exclusivity the reverse.
_SEGMENT_SHIFTS: dict[str, dict[str, float]] = {
    "lapsed_30d": {"urgency": 0.15, "personalised": 0.10},
    "lapsed_90d": {"urgency": 0.25, "personalised": 0.15, "offer_early": 0.10},
    "vip": {"urgency": -0.40, "exclusivity": 0.35, "offer_early": -0.15, "personalised": 0.10},
    "cart_abandoner": {"urgency": 0.20, "product_named": 0.25, "question": 0.10},
    "birthday": {"personalised": 0.30, "exclusivity": 0.10, "urgency": -0.15, "emoji": 0.10},
    "new_customer": {"social_proof": 0.25, "code_stated": 0.10},
    "deal_seeker": {
        "offer_stated": 0.30,
        "offer_early": 0.25,
        "urgency": 0.15,
        "exclusivity": -0.10,
    },
    "repeat_buyer": {"product_named": 0.20, "question": 0.10},
}
_PRICE_SENSITIVITY = {
    "deal_seeker": 3.0,
    "lapsed_90d": 2.0,
    "lapsed_30d": 1.6,
    "cart_abandoner": 1.5,
    "new_customer": 1.5,
    "repeat_buyer": 1.0,
    "birthday": 0.8,
    "vip": 0.3,
}
_OPEN_SHIFT = {
    "vip": 0.3,
    "lapsed_90d": -0.4,
    "lapsed_30d": -0.15,
    "cart_abandoner": 0.2,
    "birthday": 0.2,
    "new_customer": 0.1,
    "deal_seeker": 0.0,
    "repeat_buyer": 0.1,
}
_CHANNEL_MEANS = {  # emoji on clicks, emoji on opens, optimal body length in characters
    "im": (0.20, 0.10, 160),
    "sms": (-0.05, 0.0, 120),
    "push": (0.15, 0.15, 90),
    "email": (-0.25, -0.10, 450),
}
_BASE_OPEN = {"im": (0.20, 0.42), "sms": (0.60, 0.90), "push": (0.15, 0.32), "email": (0.15, 0.40)}


@dataclass(frozen=True)
class ChannelParams:
    """How a channel treats copy."""

    emoji_click: float
    emoji_open: float
    optimal_length: float
    length_curvature: float
    limit_penalty: float
    body_limit: int
    subject_limit: int


@dataclass(frozen=True)
class SegmentParams:
    """How a segment responds."""

    weights: dict[str, float]
    price_sensitivity: float
    open_shift: float


@dataclass(frozen=True)
class MerchantParams:
    """A merchant's base rates and its audience's own taste."""

    base_open: dict[str, float]
    base_click: float
    base_conv: float
    weights: dict[str, float]


@dataclass(frozen=True)
class HiddenWorld:
    """All latent variables of one world."""

    seed: int
    channels: dict[str, ChannelParams]
    segments: dict[str, SegmentParams]
    merchants: dict[str, MerchantParams]
    open_weights: dict[str, float]
    framing: dict[tuple[str, str], float]
    wrong_offer_factor: float
    kind: str = "default"
    effects: dict[tuple[str, str, str], float] = field(default_factory=dict)
    """Drawn effects on the click logit beyond the fixed structure, keyed (scope, who,
    name): ``channel`` (channel, feature), ``segment_channel`` ("segment|channel",
    feature), ``segment_phrase`` (segment, phrase), ``merchant_phrase`` (merchant, phrase).
    Empty in a default world."""
    reversed_effects: tuple[tuple[str, str], ...] = ()
    """The (segment or channel, feature) effects drawn against their structural sign."""


def draw_hidden(
    rng: np.random.Generator, seed: int, merchant_ids: list[str], kind: str = "default"
) -> HiddenWorld:
    """Draw a world's latent variables around the structural means above; a world of
    another kind then has part of its structure redrawn (``_redraw``) from a stream of its
    own, so that ``rng`` moves exactly as in the default world of the seed."""
    if kind not in WORLD_KINDS:
        raise ValueError(f"unknown world kind {kind!r}; known: {', '.join(WORLD_KINDS)}")
    channels = {}
    for channel in CHANNELS:
        emoji_click, emoji_open, length = _CHANNEL_MEANS[channel]
        channels[channel] = ChannelParams(
            emoji_click=round(emoji_click + rng.normal(0, 0.08), 4),
            emoji_open=round(emoji_open + rng.normal(0, 0.05), 4),
            optimal_length=round(length * rng.uniform(0.8, 1.2), 1),
            length_curvature=round(rng.uniform(0.25, 0.4), 4),
            limit_penalty=round(rng.uniform(0.4, 0.7), 4),
            body_limit={"push": int(rng.integers(110, 131)), "im": 1000}.get(channel, 5000),
            subject_limit=int(rng.integers(50, 71)),
        )
    segments = {}
    for segment in SEGMENTS:
        shifts = _SEGMENT_SHIFTS[segment]
        weights = {
            feature: round(base + shifts.get(feature, 0.0) + rng.normal(0, 0.12), 4)
            for feature, base in _BASE_WEIGHTS.items()
        }
        segments[segment] = SegmentParams(
            weights=weights,
            price_sensitivity=round(_PRICE_SENSITIVITY[segment] + rng.normal(0, 0.3), 4),
            open_shift=round(_OPEN_SHIFT[segment] + rng.normal(0, 0.1), 4),
        )
    merchants = {}
    for merchant_id in merchant_ids:
        merchants[merchant_id] = MerchantParams(
            base_open={c: round(rng.uniform(*_BASE_OPEN[c]), 4) for c in CHANNELS},
            base_click=round(rng.uniform(0.04, 0.12), 4),
            base_conv=round(rng.uniform(0.12, 0.35), 4),
            weights={f: round(rng.normal(0, 0.08), 4) for f in COPY_FEATURES},
        )
    open_weights = {
        f: round(mean + rng.normal(0, 0.05), 4)
        for f, mean in zip(OPEN_FEATURES, (0.15, 0.20, 0.05, -0.20), strict=True)
    }
    framing = {}
    for level_index, level in enumerate(PRICE_LEVELS):
        for voucher_type in VOUCHER_TYPES:
            # Percent sells cheap items, an amount sells dear ones (the rule of 100).
            tilt = {"percent_off": 0.15, "amount_off": -0.15}.get(voucher_type, 0.0)
            mean = 1.0 + tilt * (1 - level_index)
            framing[(level, voucher_type)] = round(mean * float(np.exp(rng.normal(0, 0.05))), 4)
    world = HiddenWorld(
        seed=seed,
        channels=channels,
        segments=segments,
        merchants=merchants,
        open_weights=open_weights,
        framing=framing,
        wrong_offer_factor=round(rng.uniform(0.15, 0.3), 4),
    )
    return world if kind == "default" else _redraw(world, kind)


_KIND_STRENGTH = {"contrarian": 1.0, "mixed": 0.5}
"""How much of the structure a kind redraws: the share of drawn effects, merchant taste and
phrasing effects all scale with it."""


def _redraw(world: HiddenWorld, kind: str) -> HiddenWorld:
    """A world of ``kind``: about half (contrarian) or a quarter (mixed) of the segment x
    feature and channel x feature effects drawn independently of best practice, half of
    those reversed against their structural sign; merchants' tastes widened; phrasing
    effects per segment and per merchant; one segment for which emoji help an e-mail."""
    strength = _KIND_STRENGTH[kind]
    rng = np.random.default_rng([world.seed, 27])
    share = 0.5 * strength
    reversed_effects: list[tuple[str, str]] = []

    def redrawn(who: str, feature: str, structural: float, spread: float) -> float:
        if rng.random() >= share:
            return structural
        if rng.random() < 0.5:  # reversed: the same size or more, the other sign
            sign = -1.0 if structural > 0 else 1.0
            reversed_effects.append((who, feature))
            return round(sign * (abs(structural) * rng.uniform(0.8, 1.6) + 0.15), 4)
        return round(float(rng.normal(0, spread)), 4)

    segments = {}
    for segment, params in world.segments.items():
        weights = dict(params.weights)
        for feature in DRAWN_FEATURES:
            weights[feature] = redrawn(segment, feature, weights[feature], 0.4)
        segments[segment] = replace(params, weights=weights)
    channels = {}
    effects: dict[tuple[str, str, str], float] = {}
    for channel, cparams in world.channels.items():
        emoji = redrawn(channel, "emoji", cparams.emoji_click, 0.3)
        channels[channel] = replace(cparams, emoji_click=emoji)
        for feature in DRAWN_FEATURES:
            if feature != "emoji" and rng.random() < share:
                effects[("channel", channel, feature)] = round(float(rng.normal(0, 0.35)), 4)
    fond = SEGMENTS[int(rng.integers(len(SEGMENTS)))]
    effects[("segment_channel", f"{fond}|email", "emoji")] = round(
        float(rng.uniform(0.4, 0.7)) * strength + 0.1, 4
    )
    reversed_effects.append((f"{fond}|email", "emoji"))
    for segment in SEGMENTS:
        for phrase in PHRASES:
            effects[("segment_phrase", segment, phrase)] = round(
                float(rng.normal(0, 0.3 * strength)), 4
            )
    merchants = {}
    for merchant_id, mparams in world.merchants.items():
        taste = {
            f: round(w + float(rng.normal(0, 0.3 * strength)), 4)
            for f, w in mparams.weights.items()
        }
        merchants[merchant_id] = replace(mparams, weights=taste)
        for phrase in PHRASES:
            effects[("merchant_phrase", merchant_id, phrase)] = round(
                float(rng.normal(0, 0.2 * strength)), 4
            )
    return replace(
        world,
        kind=kind,
        segments=segments,
        channels=channels,
        merchants=merchants,
        effects=effects,
        reversed_effects=tuple(reversed_effects),
    )


_SCHEMA = """
CREATE TABLE hidden_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE channel_params (channel TEXT PRIMARY KEY, emoji_click REAL, emoji_open REAL,
    optimal_length REAL, length_curvature REAL, limit_penalty REAL, body_limit INTEGER,
    subject_limit INTEGER);
CREATE TABLE segment_params (segment TEXT PRIMARY KEY, price_sensitivity REAL,
    open_shift REAL);
CREATE TABLE segment_weights (segment TEXT, feature TEXT, weight REAL,
    PRIMARY KEY (segment, feature));
CREATE TABLE merchant_params (merchant_id TEXT PRIMARY KEY, base_click REAL, base_conv REAL);
CREATE TABLE merchant_open (merchant_id TEXT, channel TEXT, base_open REAL,
    PRIMARY KEY (merchant_id, channel));
CREATE TABLE merchant_weights (merchant_id TEXT, feature TEXT, weight REAL,
    PRIMARY KEY (merchant_id, feature));
CREATE TABLE open_weights (feature TEXT PRIMARY KEY, weight REAL);
CREATE TABLE framing (price_level TEXT, voucher_type TEXT, multiplier REAL,
    PRIMARY KEY (price_level, voucher_type));
CREATE TABLE effects (scope TEXT, who TEXT, name TEXT, weight REAL,
    PRIMARY KEY (scope, who, name));
CREATE TABLE reversed_effects (who TEXT, feature TEXT, PRIMARY KEY (who, feature));
"""

HIDDEN_TABLES: tuple[str, ...] = (
    "hidden_meta",
    "channel_params",
    "segment_params",
    "segment_weights",
    "merchant_params",
    "merchant_open",
    "merchant_weights",
    "open_weights",
    "framing",
    "effects",
    "reversed_effects",
)


def hidden_path(home: Path) -> Path:
    """Where a world's latent variables live, apart from the CRM store."""
    return Path(home) / "arena" / "hidden.sqlite"


def save_hidden(world: HiddenWorld, path: Path) -> None:
    """Write the latent variables to a fresh file (replacing an older world's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as conn:
        conn.executescript(_SCHEMA)
        conn.executemany(
            "INSERT INTO hidden_meta VALUES (?, ?)",
            [
                ("seed", str(world.seed)),
                ("wrong_offer_factor", repr(world.wrong_offer_factor)),
                ("kind", world.kind),
            ],
        )
        conn.executemany(
            "INSERT INTO channel_params VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    c,
                    p.emoji_click,
                    p.emoji_open,
                    p.optimal_length,
                    p.length_curvature,
                    p.limit_penalty,
                    p.body_limit,
                    p.subject_limit,
                )
                for c, p in world.channels.items()
            ],
        )
        conn.executemany(
            "INSERT INTO segment_params VALUES (?, ?, ?)",
            [(s, p.price_sensitivity, p.open_shift) for s, p in world.segments.items()],
        )
        conn.executemany(
            "INSERT INTO segment_weights VALUES (?, ?, ?)",
            [(s, f, w) for s, p in world.segments.items() for f, w in p.weights.items()],
        )
        conn.executemany(
            "INSERT INTO merchant_params VALUES (?, ?, ?)",
            [(m, p.base_click, p.base_conv) for m, p in world.merchants.items()],
        )
        conn.executemany(
            "INSERT INTO merchant_open VALUES (?, ?, ?)",
            [(m, c, o) for m, p in world.merchants.items() for c, o in p.base_open.items()],
        )
        conn.executemany(
            "INSERT INTO merchant_weights VALUES (?, ?, ?)",
            [(m, f, w) for m, p in world.merchants.items() for f, w in p.weights.items()],
        )
        conn.executemany("INSERT INTO open_weights VALUES (?, ?)", world.open_weights.items())
        conn.executemany(
            "INSERT INTO framing VALUES (?, ?, ?)",
            [(level, kind, m) for (level, kind), m in world.framing.items()],
        )
        conn.executemany(
            "INSERT INTO effects VALUES (?, ?, ?, ?)",
            [(*key, w) for key, w in world.effects.items()],
        )
        conn.executemany("INSERT INTO reversed_effects VALUES (?, ?)", world.reversed_effects)
    conn.close()


def load_hidden(path: Path) -> HiddenWorld:
    """Read a world's latent variables back."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no arena world here; run `crmagent arena build` first")
    conn = sqlite3.connect(path)
    try:
        meta = dict(conn.execute("SELECT key, value FROM hidden_meta"))
        channels = {
            row[0]: ChannelParams(*row[1:])
            for row in conn.execute("SELECT * FROM channel_params ORDER BY channel")
        }
        weights: dict[str, dict[str, float]] = {}
        for segment, feature, weight in conn.execute("SELECT * FROM segment_weights"):
            weights.setdefault(segment, {})[feature] = weight
        segments = {
            s: SegmentParams(weights[s], sensitivity, shift)
            for s, sensitivity, shift in conn.execute("SELECT * FROM segment_params")
        }
        opens: dict[str, dict[str, float]] = {}
        for merchant_id, channel, base_open in conn.execute("SELECT * FROM merchant_open"):
            opens.setdefault(merchant_id, {})[channel] = base_open
        m_weights: dict[str, dict[str, float]] = {}
        for merchant_id, feature, weight in conn.execute("SELECT * FROM merchant_weights"):
            m_weights.setdefault(merchant_id, {})[feature] = weight
        merchants = {
            m: MerchantParams(opens[m], click, conv, m_weights[m])
            for m, click, conv in conn.execute("SELECT * FROM merchant_params")
        }
        open_weights = dict(conn.execute("SELECT feature, weight FROM open_weights"))
        framing = {(lvl, kind): m for lvl, kind, m in conn.execute("SELECT * FROM framing")}
        effects = {
            (scope, who, name): weight
            for scope, who, name, weight in conn.execute("SELECT * FROM effects")
        }
        reversed_effects = tuple(conn.execute("SELECT who, feature FROM reversed_effects"))
    finally:
        conn.close()
    return HiddenWorld(
        seed=int(meta["seed"]),
        channels=channels,
        segments=segments,
        merchants=merchants,
        open_weights=open_weights,
        framing=framing,
        wrong_offer_factor=float(meta["wrong_offer_factor"]),
        kind=meta.get("kind", "default"),
        effects=effects,
        reversed_effects=reversed_effects,
    )
