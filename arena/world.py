"""The arena's world generator: a seeded CRM world written into the CRM store, with its
latent variables written apart (``arena.hidden``).

Merchants with brand voices, discount caps and forbidden words sell products of a taxonomy
at price levels; they run campaigns (merchant x segment x voucher x category x channel x
date) with one to four A/B template variants written by the phrase grammar in the
merchant's house styles, mistakes included. Send outcomes are sampled from the hidden
response model, so the visible history carries the latent signal, with noise, and nothing
more. Each segment gets merchants with rich history, with little, and with none, so that
every mode of the agent has work.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from arena.catalog import (
    BRAND_VOICES,
    FORBIDDEN_POOL,
    MAX_DISCOUNTS,
    MERCHANT_FIRST,
    MERCHANT_SECOND,
    PRODUCT_PREFIXES,
    TAXONOMY,
    Leaf,
    top_level,
)
from arena.grammar import STYLES, Facts, draw_plan, write
from arena.hidden import SEGMENTS, HiddenWorld, draw_hidden, hidden_path, save_hidden
from arena.quality import QualityError, check_world
from arena.response import Campaign, discount_depth, expected_rates
from tools.crm.store import Store, TemplateRecord
from tools.domain import Merchant

WORLD_VERSION = "1"
FIRST_DAY = date(2025, 1, 1)
DAYS = 660

_SEGMENT_VOUCHERS: dict[str, tuple[str, ...]] = {
    "new_customer": ("percent_off", "amount_off", "free_shipping", "gift"),
    "lapsed_30d": ("percent_off", "amount_off", "free_shipping", "threshold"),
    "lapsed_90d": ("percent_off", "amount_off", "threshold", "gift"),
    "vip": ("threshold", "gift", "percent_off", "free_shipping"),
    "cart_abandoner": ("free_shipping", "percent_off", "amount_off"),
    "deal_seeker": ("percent_off", "amount_off", "bogo", "threshold"),
    "repeat_buyer": ("bogo", "percent_off", "threshold", "free_shipping"),
    "birthday": ("gift", "percent_off", "amount_off"),
}
_CODE_PREFIX = {
    "new_customer": "WELCOME",
    "lapsed_30d": "BACK",
    "lapsed_90d": "MISSYOU",
    "vip": "VIP",
    "cart_abandoner": "CART",
    "deal_seeker": "DEAL",
    "repeat_buyer": "AGAIN",
    "birthday": "BDAY",
}
_CHANNEL_ODDS = {"im": 0.35, "sms": 0.2, "push": 0.2, "email": 0.25}


@dataclass(frozen=True)
class Product:
    """A product a merchant sells."""

    product_id: str
    merchant_id: str
    name: str
    leaf: Leaf
    price: float


@dataclass(frozen=True)
class MerchantPlan:
    """A merchant's profile and habits: what it sells, how it writes, where it sends."""

    merchant: Merchant
    products: tuple[Product, ...]
    styles: tuple[str, ...]
    style_weights: tuple[float, ...]
    channels: tuple[str, ...]
    audience: float
    """Median sends per template."""


@dataclass(frozen=True)
class WorldSummary:
    """What a build produced."""

    seed: int
    merchants: int
    campaigns: int
    templates: int
    sends: int
    store: Path
    hidden: Path
    seconds: float
    kind: str = "default"


class WorldExistsError(RuntimeError):
    """The store holds data that is not an arena world; building would mix the two."""


def _merchant_plans(rng: np.random.Generator, prng: random.Random, k: int) -> list[MerchantPlan]:
    names = [f"{a} {b}" for a in MERCHANT_FIRST for b in MERCHANT_SECOND]
    prng.shuffle(names)
    tops = sorted({top_level(leaf.path) for leaf in TAXONOMY})
    plans = []
    for i in range(k):
        merchant_id = f"m{i + 1:03d}"
        name = names[i % len(names)] + ("" if i < len(names) else f" {i // len(names) + 1}")
        chosen_tops = prng.sample(tops, k=prng.choice((1, 1, 2)))
        leaves = [leaf for leaf in TAXONOMY if top_level(leaf.path) in chosen_tops]
        products = []
        for j in range(prng.randint(4, 10)):
            leaf = prng.choice(leaves)
            low, high = leaf.price_range
            price = round(float(rng.uniform(low, high))) - 0.01
            products.append(
                Product(
                    f"{merchant_id}-p{j + 1:02d}",
                    merchant_id,
                    f"{prng.choice(PRODUCT_PREFIXES)} {prng.choice(leaf.nouns)}",
                    leaf,
                    price,
                )
            )
        merchant = Merchant(
            merchant_id=merchant_id,
            name=name,
            brand_voice=prng.choice(BRAND_VOICES),
            locale="en",
            max_discount=prng.choice(MAX_DISCOUNTS),
            forbidden_words=tuple(sorted(prng.sample(FORBIDDEN_POOL, k=prng.randint(0, 2)))),
        )
        styles = tuple(prng.sample(STYLES, k=2))
        plans.append(
            MerchantPlan(
                merchant=merchant,
                products=tuple(products),
                styles=styles,
                style_weights=(0.7, 0.3),
                channels=tuple(prng.sample(list(_CHANNEL_ODDS), k=prng.choice((1, 2, 2, 3)))),
                audience=float(np.exp(rng.normal(np.log(500), 0.6))),
            )
        )
    return plans


def _history_levels(prng: random.Random, merchant_ids: list[str]) -> dict[tuple[str, str], str]:
    """Rich, little or no history per merchant x segment; a tenth of merchants are new."""
    cold = set(prng.sample(merchant_ids, k=max(2, len(merchant_ids) // 10)))
    active = [m for m in merchant_ids if m not in cold]
    levels: dict[tuple[str, str], str] = {}
    for segment in SEGMENTS:
        order = active[:]
        prng.shuffle(order)
        rich, little = round(0.3 * len(order)), round(0.3 * len(order))
        for index, merchant_id in enumerate(order):
            level = "rich" if index < rich else "little" if index < rich + little else "none"
            levels[(merchant_id, segment)] = level
    return levels


def _voucher(
    prng: random.Random, segment: str, product: Product, cap: float, sent: date
) -> tuple[str, float, float | None, date | None, str | None]:
    kind = prng.choice(_SEGMENT_VOUCHERS[segment])
    value: float = 0.0
    min_spend: float | None = None
    if kind == "percent_off":
        value = prng.choice([v for v in (10, 15, 20, 25, 30, 40) if v <= cap])
        if prng.random() < 0.3:
            min_spend = float(prng.choice((30, 50, 75, 100)))
    elif kind == "amount_off":
        value = float(max(5, round(product.price * prng.uniform(0.1, cap / 100) / 5) * 5))
    elif kind == "threshold":
        min_spend = float(max(20, round(product.price * prng.uniform(1.2, 2.0) / 10) * 10))
        value = float(max(5, round(min_spend * prng.uniform(0.1, min(cap, 30) / 100) / 5) * 5))
    elif kind == "free_shipping" and prng.random() < 0.4:
        min_spend = float(prng.choice((25, 35, 50)))
    expires = sent + timedelta(days=prng.randint(5, 30)) if prng.random() < 0.7 else None
    code = None
    if prng.random() < 0.75:
        digits = f"{value:g}" if value and prng.random() < 0.7 else str(prng.randint(10, 99))
        code = f"{_CODE_PREFIX[segment]}{digits}"
    return kind, value, min_spend, expires, code


def generate(
    seed: int, merchants: int, kind: str = "default"
) -> tuple[list[MerchantPlan], list[TemplateRecord], list[str], list[str | None], HiddenWorld]:
    """The whole world in memory: merchants, templates with outcomes, and latent variables
    (of the world ``kind``: the same merchants, campaigns and texts for every kind of a
    seed, outcomes drawn from that kind's response model)."""
    rng = np.random.default_rng(seed)
    prng = random.Random(seed)
    plans = _merchant_plans(rng, prng, merchants)
    hidden = draw_hidden(rng, seed, [p.merchant.merchant_id for p in plans], kind)
    levels = _history_levels(prng, [p.merchant.merchant_id for p in plans])

    drafts: list[tuple[MerchantPlan, str, Campaign, Product, str | None, str, date]] = []
    campaign_ids: list[str] = []
    product_ids: list[str | None] = []
    campaign_count = 0
    for plan in plans:
        merchant_id = plan.merchant.merchant_id
        seen_bodies: set[str] = set()
        for segment in SEGMENTS:
            level = levels.get((merchant_id, segment), "none")
            if level == "none":
                continue
            campaigns = prng.randint(4, 8) if level == "rich" else 1
            for _ in range(campaigns):
                campaign_count += 1
                campaign_id = f"c{campaign_count:06d}"
                product = prng.choice(plan.products)
                channel = prng.choice(plan.channels)
                sent = FIRST_DAY + timedelta(days=prng.randrange(DAYS))
                kind, value, min_spend, expires, code = _voucher(
                    prng, segment, product, plan.merchant.max_discount or 30.0, sent
                )
                facts = Facts(segment, channel, product.name, kind, value, min_spend, expires, code)
                campaign = Campaign(merchant_id, facts, product.price)
                variants = prng.randint(2, 4) if level == "rich" else prng.randint(1, 2)
                for _ in range(variants):
                    for _attempt in range(20):
                        style = prng.choices(plan.styles, weights=plan.style_weights)[0]
                        copy_plan = draw_plan(style, channel, prng, code is not None)
                        subject, body = write(copy_plan, facts, prng)
                        if body not in seen_bodies:
                            break
                    else:
                        continue  # this merchant has said it every way the grammar knows
                    seen_bodies.add(body)
                    drafts.append((plan, segment, campaign, product, subject, body, sent))
                    campaign_ids.append(campaign_id)
                    product_ids.append(product.product_id)

    rates = np.array(
        [
            (r.open, r.click, r.conversion)
            for r in (expected_rates(hidden, d[2], d[4], d[5]) for d in drafts)
        ]
    )
    audience = np.array([d[0].audience for d in drafts])
    sends = np.clip(np.round(audience * np.exp(rng.normal(0, 0.5, len(drafts)))), 100, 50_000)
    sends = sends.astype(np.int64)
    opens = rng.binomial(sends, rates[:, 0])
    clicks = rng.binomial(opens, rates[:, 1])
    conversions = rng.binomial(clicks, rates[:, 2])
    basket = np.exp(rng.normal(0, 0.2, len(drafts)))

    records = []
    for index, (plan, segment, campaign, product, subject, body, sent) in enumerate(drafts):
        facts = campaign.facts
        paid = campaign.price * (1 - min(discount_depth(facts, campaign.price), 0.9))
        records.append(
            TemplateRecord(
                template_id=f"t{index + 1:07d}",
                merchant_id=plan.merchant.merchant_id,
                segment=segment,
                channel=facts.channel,
                voucher_type=facts.voucher_type,
                voucher_value=facts.voucher_value,
                min_spend=facts.min_spend,
                expires=None if facts.expires is None else facts.expires.isoformat(),
                code=facts.code,
                product_category=product.leaf.path,
                text=body,
                subject=subject,
                sends=int(sends[index]),
                opens=int(opens[index]),
                clicks=int(clicks[index]),
                conversions=int(conversions[index]),
                revenue=round(float(conversions[index] * paid * basket[index]), 2),
                sent_at=sent.isoformat(),
            )
        )
    return plans, records, campaign_ids, product_ids, hidden


def _remove_store(store_path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store_path}{suffix}").unlink(missing_ok=True)


def build_world(
    home: Path, seed: int, merchants: int = 40, replace: bool = False, kind: str = "default"
) -> WorldSummary:
    """Generate a world of ``kind`` (``arena.hidden.WORLD_KINDS``) into ``home``'s CRM store
    and its latent variables beside it.

    An earlier arena world in the store is replaced; a store with a merchant's own data is
    left alone unless ``replace`` is set.
    """
    if merchants < 10:
        raise ValueError("an arena world needs at least 10 merchants")
    started = time.perf_counter()
    home = Path(home)
    store_path = home / "crm.sqlite"
    if store_path.exists():
        with Store(store_path) as store:
            is_world = store.get_meta("arena_seed") is not None
            has_data = store.count("templates") > 0
        if has_data and not is_world and not replace:
            raise WorldExistsError(
                f"{store_path} holds imported templates; build the arena in another folder "
                "(--home DIR) or pass --replace to overwrite it"
            )
        _remove_store(store_path)
    plans, records, campaign_ids, product_ids, hidden = generate(seed, merchants, kind)
    with Store(store_path) as store, store.transaction():
        store.put_merchants(p.merchant for p in plans)
        store.put_products(
            (p.product_id, p.merchant_id, p.name, p.leaf.path, p.price)
            for plan in plans
            for p in plan.products
        )
        customers: dict[tuple[str, str], int] = {}
        for record in records:
            key = (record.merchant_id, record.segment)
            customers[key] = max(customers.get(key, 0), record.sends)
        store.put_segments(
            (
                plan.merchant.merchant_id,
                segment,
                segment,
                customers.get((plan.merchant.merchant_id, segment), 0),
            )
            for plan in plans
            for segment in SEGMENTS
        )
        store.put_templates(records, campaign_ids, product_ids)
        store.set_meta("arena_seed", str(seed))
        store.set_meta("arena_version", WORLD_VERSION)
        if kind != "default":  # a default world's store stays as it always was
            store.set_meta("arena_world", kind)
    save_hidden(hidden, hidden_path(home))
    failures = check_world(store_path, hidden_path(home))
    if failures:
        _remove_store(store_path)
        hidden_path(home).unlink()
        raise QualityError(failures)
    return WorldSummary(
        seed=seed,
        merchants=len(plans),
        campaigns=len(set(campaign_ids)),
        templates=len(records),
        sends=sum(r.sends for r in records),
        store=store_path,
        hidden=hidden_path(home),
        seconds=time.perf_counter() - started,
        kind=kind,
    )
