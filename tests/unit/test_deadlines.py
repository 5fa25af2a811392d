"""Deadline claims: a message may say "today only" only on the day the voucher ends, and a
claim the voucher does not back comes out without taking the offer, code or opt-out with it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.message.deadlines import deadline_claims, deadline_errors, drop_unsupported

SEND = date(2026, 12, 6)  # a Sunday
DEC_31 = date(2026, 12, 31)  # 25 days later
# Chinese punctuation: full-width comma, colon and exclamation mark.
COMMA, COLON, BANG = "\uff0c", "\uff1a", "\uff01"


def day(offset: int, send: date = SEND) -> date:
    return send + timedelta(days=offset)


def holds(text: str, expires: date | None, send: date = SEND) -> bool:
    return deadline_errors(text, expires, send) == []


@pytest.mark.parametrize(
    ("text", "true_on", "false_on"),
    [
        ("Today only! 20% off everything.", [0], [1, 25]),
        ("Only today: 20% off.", [0], [1]),
        ("20% off ends today.", [0], [1]),
        ("Knix: 20% off sitewide ends tonight!", [0], [1, 25]),
        ("Tonight only: free shipping.", [0], [1]),
        ("20% off, valid until midnight.", [0], [1]),
        ("Order by midnight to save 20%.", [0], [1]),
        ("It's the last day to save 20%.", [0], [1]),
        ("Final day!", [0], [2]),
        ("Final hours: 20% off.", [0, 1], [2]),
        ("Last chance: 20% off.", [0, 1], [2]),
        ("20% off ends tomorrow.", [1], [0, 2]),
        ("Tomorrow only: 20% off.", [1], [0, 2]),
        ("30% off for the next 2 hours", [0, 1], [2, 25]),
        ("Only 2 hours left!", [0, 1], [2]),
        ("Ends in 3 hours.", [0, 1], [2]),
        ("Our 24-hour sale: 20% off.", [0, 1], [2]),
        ("24 hours only!", [0, 1], [2]),
        ("Just two hours left to save!", [0, 1], [2]),
        ("48 hours only: 30% off.", [1, 2], [0, 3]),
        ("30% off for the next 25 hours.", [1, 2], [0, 3]),
        ("72-hour flash sale!", [2, 3], [1, 4]),
        ("Only 3 days left to save 20%.", [2, 3], [1, 4]),
        ("20% off ends in 3 days.", [2, 3], [1, 4]),
        ("Two days left: 15% off.", [1, 2], [0, 3]),
        ("One day only!", [0, 1], [2]),
    ],
)
def test_each_deadline_is_true_only_when_the_voucher_ends_then(
    text: str, true_on: list[int], false_on: list[int]
) -> None:
    assert deadline_claims(text), text
    for offset in true_on:
        assert holds(text, day(offset)), (text, offset, deadline_errors(text, day(offset), SEND))
    for offset in false_on:
        assert not holds(text, day(offset)), (text, offset)
    assert not holds(text, None)


def test_a_claim_reads_as_the_text_writes_it() -> None:
    text = "Knix: 20% off sitewide ends TONIGHT!"
    (claim,) = deadline_claims(text)
    assert claim.phrase == "ends TONIGHT" == text[claim.start : claim.end]
    assert (claim.earliest_days, claim.latest_days) == (0, 0)
    (both,) = deadline_claims("30% off for 48 hours only.")
    assert both.phrase == "for 48 hours only"


def test_weekday_claims_name_the_day_the_voucher_ends_within_a_week() -> None:
    monday = date(2026, 12, 7)
    friday, saturday, sunday = day(4, monday), day(5, monday), day(6, monday)
    for text in ("20% off, ends Friday.", "Ends this Friday: 20% off.", "Friday only!"):
        assert holds(text, friday, monday), text
        assert not holds(text, day(3, monday), monday), text  # a Thursday
        assert not holds(text, day(11, monday), monday), text  # the Friday after
    for text in ("This weekend only: 20% off.", "20% off, ends this weekend."):
        assert holds(text, saturday, monday) and holds(text, sunday, monday), text
        assert not holds(text, friday, monday), text
        assert not holds(text, day(7, monday), monday), text  # the Monday after
    assert holds("Sale ends Sunday!", SEND) and holds("Sale ends Sunday!", day(7))
    assert not holds("Sale ends Sunday!", day(3))


def test_the_error_names_the_phrase_and_the_truth() -> None:
    assert deadline_errors("20% off, today only!", DEC_31, SEND) == [
        "says 'today only' but the voucher runs until Dec 31 (25 days after the send date)"
    ]
    assert deadline_errors("Ends Friday!", day(2), SEND) == [
        "says 'Ends Friday' but the voucher runs until Tuesday, Dec 8 (2 days after the send date)"
    ]
    assert deadline_errors("Ends tomorrow.", SEND, SEND) == [
        "says 'Ends tomorrow' but the voucher runs until Dec 6 (the send date)"
    ]
    assert deadline_errors("Last chance!", day(-1), SEND) == [
        "says 'Last chance' but the voucher expired on Dec 5 (the day before the send date)"
    ]
    assert deadline_errors("Next 48 hours!", date(2027, 1, 2), SEND) == [
        "says 'Next 48 hours' but the voucher runs until Jan 2, 2027 (27 days after the send date)"
    ]


def test_with_no_end_date_every_deadline_is_unsupported() -> None:
    text = "Ends tonight! 20% off for the next 2 hours."
    assert deadline_errors(text, None, SEND) == [
        "says 'Ends tonight' but nothing in the request ends",
        "says 'for the next 2 hours' but nothing in the request ends",
    ]
    assert deadline_errors("Ends tonight!", None, SEND, has_voucher=True) == [
        "says 'Ends tonight' but the offer has no end date"
    ]
    assert drop_unsupported("Ends tonight! 20% off everything.", None, SEND) == (
        "20% off everything.",
        ["Ends tonight"],
    )


@pytest.mark.parametrize(
    "text",
    [
        "Limited time: 20% off. Don't wait!",
        "Hurry, 20% off while supplies last.",
        "Ends soon! Shop today: {link}",
        "Treat yourself tonight.",
        "Ships in 24 hours. Free returns within 30 days.",
        "500 sold in the last 24 hours!",
        "Sale starts in 2 hours!",
        "Order by midnight for next-day delivery.",
        "Support is available 24 hours a day.",
        "Back in stock in 2 days.",
        "Our store is closed until Monday.",
        "Heute neu eingetroffen: die Herbstkollektion.",
        "Bis morgen!",
        "Hoy te presentamos nuestra nueva colección.",
        "Découvrez aujourd'hui notre nouvelle collection.",
        f"今天下单{COMMA}明天发货。",
        "24小时发货",
    ],
)
def test_soft_urgency_and_other_times_are_not_deadlines(text: str) -> None:
    assert deadline_claims(text) == []
    assert drop_unsupported(text, None, SEND) == (text, [])


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Nur heute: 20% auf alles!", "Nur heute"),
        ("Unser Sale endet heute.", "endet heute"),
        ("Letzter Tag: 20% Rabatt.", "Letzter Tag"),
        ("20% de réduction, aujourd'hui seulement !", "aujourd'hui seulement"),
        ("Dernier jour : -20% sur tout !", "Dernier jour"),
        ("¡Solo hoy! 20% de descuento.", "Solo hoy"),
        ("Último día: 20% de descuento.", "Último día"),
        ("La oferta termina hoy.", "termina hoy"),
        (f"全场8折{COMMA}仅限今日{BANG}", "仅限今日"),
        (f"今天截止{COMMA}快来抢购{BANG}", "今天截止"),
        (f"最后一天{COLON}全场8折", "最后一天"),
    ],
)
def test_german_french_spanish_and_chinese_send_day_claims(text: str, phrase: str) -> None:
    assert [claim.phrase for claim in deadline_claims(text)] == [phrase]
    assert holds(text, SEND)
    assert not holds(text, DEC_31)


def test_non_english_spans_of_hours() -> None:
    for text in (
        "Nur noch 24 Stunden: 20% Rabatt!",
        "Últimas horas: 20% de descuento.",
        "Dernières heures !",
        f"限时24小时{BANG}全场8折",
    ):
        assert holds(text, day(1)), text
        assert not holds(text, day(5)), text


# What a merchant wrote, and what is left once a deadline the voucher does not have is gone.
REPAIRS = [
    (
        "Knix: 20% off sitewide ends tonight! Shop: {link} Reply STOP to opt out.",
        "Knix: 20% off sitewide! Shop: {link} Reply STOP to opt out.",
    ),
    ("30% off for the next 2 hours", "30% off"),
    ("20% off everything, today only!", "20% off everything!"),
    ("Last chance: 20% off", "20% off"),
    ("Hurry, ends tonight! 20% off with code BACK20.", "20% off with code BACK20."),
    ("Today only! Take 20% off with code SAVE20: {link}", "Take 20% off with code SAVE20: {link}"),
    ("Summer sale ends tonight: 20% off everything", "Summer sale: 20% off everything"),
    ("Sale ends tonight, so grab 20% off.", "Grab 20% off."),
    ("Only 3 days left to save 20% on the Trail Runner X!", "Save 20% on the Trail Runner X!"),
    ("Flash sale! 30% off for 48 hours only.", "Flash sale! 30% off."),
    ("Our 48-hour sale is on: 30% off everything.", "Our sale is on: 30% off everything."),
    ("48-hour flash sale: 30% off", "Flash sale: 30% off"),
    ("Take 20% off, today only, with code BACK20.", "Take 20% off with code BACK20."),
    ("Last chance: 20% off ends tonight", "20% off"),
    ("Get 20% off until midnight on {product}.", "Get 20% off on {product}."),
    (
        "Take 20% off — just 2 hours left to grab your {product}!",
        "Take 20% off — grab your {product}!",
    ),
    (
        "Ends tonight — don't miss out! 20% off with code BACK20. Reply STOP to opt out.",
        "20% off with code BACK20. Reply STOP to opt out.",
    ),
    (
        "Knix: Last day! 20% off with code BACK20 {link} Reply STOP to opt out",
        "Knix: 20% off with code BACK20 {link} Reply STOP to opt out",
    ),
    (
        "Psst, {first_name}: only 48 hours left to use your 20% off. Code BACK20.",
        "Psst, {first_name}: Use your 20% off. Code BACK20.",
    ),
    ("This weekend only: free shipping on all orders.", "Free shipping on all orders."),
    ("Hurry! Sale ends tonight. 20% off everything.", "Hurry! 20% off everything."),
    (
        "Don't wait — 20% off for 24 hours only, code FLASH24. {link}",
        "Don't wait — 20% off, code FLASH24. {link}",
    ),
    ("Grab 20% off in the next 24h!", "Grab 20% off!"),
    ("TODAY ONLY: 20% OFF EVERYTHING", "20% OFF EVERYTHING"),
    (
        "Hi {first_name},\n\nToday only!\n\nTake 20% off the Trail Runner X. Shop now: {link}",
        "Hi {first_name},\n\nTake 20% off the Trail Runner X. Shop now: {link}",
    ),
    ("Nur heute: 20% auf alles!", "20% auf alles!"),
    ("20% de réduction, aujourd'hui seulement !", "20% de réduction !"),
    ("¡Solo hoy! 20% de descuento en todo.", "20% de descuento en todo."),
    (f"全场8折{COMMA}仅限今日{BANG}", f"全场8折{BANG}"),
]
_KEPT = re.compile(
    r"\{[^}]*\}|\d+\s?%|\d+折|\$\d+|\b[A-Z]+\d+\b|Reply STOP to opt out|free shipping", re.I
)


@pytest.mark.parametrize(("text", "repaired"), REPAIRS)
def test_an_unsupported_deadline_comes_out_and_the_rest_reads_naturally(
    text: str, repaired: str
) -> None:
    kept, removed = drop_unsupported(text, DEC_31, SEND)
    assert kept == repaired
    assert removed and all(phrase in text for phrase in removed)
    assert deadline_errors(kept, DEC_31, SEND) == []
    # the offer, code, placeholders, link and opt-out all survive
    assert sorted(m.lower() for m in _KEPT.findall(kept)) == sorted(
        m.lower() for m in _KEPT.findall(text)
    )
    # tidy: no doubled spaces or marks, no stranded punctuation, sentences start capitalised
    assert not re.search(r"  |[,;:]\s*[.!?,]|[.!?]\s*[,.;:]|!!|\?\?|^\s|\s$", kept)
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", kept):
        assert not sentence[:1].islower(), sentence


def test_a_sentence_that_is_only_a_deadline_goes_whole() -> None:
    assert drop_unsupported("Hurry, ends tonight!", DEC_31, SEND) == ("", ["ends tonight"])
    assert drop_unsupported("Valid until midnight.", DEC_31, SEND)[0] == ""
    assert drop_unsupported("⏰ Ends tonight", DEC_31, SEND)[0] == ""  # a subject
    body = "20% off the Trail Runner X. Ends tonight.\nShop now: {link}"
    assert (
        drop_unsupported(body, DEC_31, SEND)[0] == "20% off the Trail Runner X.\nShop now: {link}"
    )


def test_a_true_deadline_stays() -> None:
    text = "Knix: 20% off sitewide ends tonight! Shop: {link} Reply STOP to opt out."
    assert drop_unsupported(text, SEND, SEND) == (text, [])
    mixed = "Last chance: 20% off. Ends tomorrow!"
    assert drop_unsupported(mixed, day(1), SEND) == (mixed, [])
    assert drop_unsupported(mixed, SEND, SEND) == ("Last chance: 20% off.", ["Ends tomorrow"])


def test_never_removes_the_opt_out_a_placeholder_or_a_code_around_a_claim() -> None:
    kept, _ = drop_unsupported("Ends tonight Reply STOP to opt out", DEC_31, SEND)
    assert kept == "Reply STOP to opt out"
    kept, _ = drop_unsupported("Today only {link}", DEC_31, SEND)
    assert kept == "{link}"
    kept, _ = drop_unsupported("Use LAST24 today only.", DEC_31, SEND)
    assert kept == "Use LAST24."


# Pieces of real messages, deadlines true and false among them, joined at random.
_PIECES = (
    "Knix:|20% off|sitewide|ends tonight|today only|!|.|,|—|Hurry|Last chance:|{link}|"
    "Reply STOP to opt out.|code BACK20|for the next 2 hours|Only 3 days left to|save|"
    "on {product}|\n|48-hour|sale|Ends Friday|this weekend only|¡Solo hoy!|Nur heute|"
    "Final hours of|Sale ends tonight|so grab|$15 off|{first_name},|It's the last day to|"
    "valid until midnight"
)
FRAGMENTS = _PIECES.split("|")
_OFFER_BITS = re.compile(r"\{[^}]*\}|\d+%|\$\d+|BACK20|Reply STOP to opt out")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=10))
def test_any_mix_loses_its_false_deadlines_and_nothing_else(fragments: list[str]) -> None:
    text = " ".join(fragments)
    kept, _ = drop_unsupported(text, DEC_31, SEND)
    assert deadline_errors(kept, DEC_31, SEND) == []
    assert sorted(_OFFER_BITS.findall(kept)) == sorted(_OFFER_BITS.findall(text))


def test_cuts_that_make_new_claims_are_read_until_none_is_left() -> None:
    # Each pass leaves a new "48-hour" standing; the text is read until none is.
    text = "ends tonight \n Only 3 days left to 48-hour — 48-hour"
    kept, removed = drop_unsupported(text, DEC_31, SEND)
    assert kept == "" and removed.count("48-hour") == 2
    # A lone comma left before a cut piece is no sentence to join the rest to.
    from tools.message.deadlines.drop import _join

    assert _join(",", ". Shop now") == ". Shop now"
