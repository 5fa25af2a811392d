"""Merge fields: merchants' placeholders read into ours and written back, and the blanks a
template library leaves for the merchant, filled or reported."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.message.merge_fields import (
    FAMILIES,
    FIELDS,
    MergeSyntax,
    Slot,
    fill,
    syntax_named,
    to_merchant,
    to_ours,
)
from tools.message.rules import ALLOWED_PLACEHOLDERS

KLAVIYO = (
    "Hi {{ person.first_name|default:'there' }}, you left something behind at "
    "{{ organization.name }}.\nFinish your order: {{ event.extra.checkout_url }}\n\n"
    "{% unsubscribe 'Unsubscribe' %}"
)
SHOPIFY = "Hey {{customer.first_name}}, {{ shop.name }} saved your cart: {{ url }}"
MAILCHIMP = (
    "Hi *|FNAME|*,\nThe spring edit from *|LIST:COMPANY|* is live. Shop now: {link}\n"
    "Unsubscribe: *|UNSUB|*"
)
WHATSAPP = "Hi {{1}}, your cart is still waiting for you. Finish your order here: {{2}}"
BRACKETS = "Hey [First name]! [Shop Name] restocked your favourites. Take a look: [link]"
PERCENT = "%FIRSTNAME%, your cart at %SHOPNAME% expires tonight: %LINK% Reply STOP to opt out."
BRACES = "Hi {FirstName}, {shop} just dropped the new collection: {url}"
OURS = "Hi {first_name}, {shop_name} has your size back in stock: {link}"


def test_every_field_we_write_passes_the_rule_engines_placeholder_check() -> None:
    assert set(FIELDS) <= ALLOWED_PLACEHOLDERS


@pytest.mark.parametrize(
    ("original", "ours", "family"),
    [
        (
            KLAVIYO,
            "Hi {first_name}, you left something behind at {shop_name}.\n"
            "Finish your order: {link}\n\n{% unsubscribe 'Unsubscribe' %}",
            "liquid",
        ),
        (SHOPIFY, "Hey {first_name}, {shop_name} saved your cart: {link}", "liquid"),
        (
            MAILCHIMP,
            "Hi {first_name},\nThe spring edit from {shop_name} is live. Shop now: {link}\n"
            "Unsubscribe: *|UNSUB|*",
            "mailchimp",
        ),
        (
            WHATSAPP,
            "Hi {first_name}, your cart is still waiting for you. Finish your order here: {link}",
            "whatsapp",
        ),
        (
            BRACKETS,
            "Hey {first_name}! {shop_name} restocked your favourites. Take a look: {link}",
            "brackets",
        ),
        (
            PERCENT,
            "{first_name}, your cart at {shop_name} expires tonight: {link} Reply STOP to opt out.",
            "percent",
        ),
        (BRACES, "Hi {first_name}, {shop_name} just dropped the new collection: {link}", "ours"),
        (OURS, OURS, "ours"),
    ],
)
def test_a_pasted_message_reads_into_ours_and_comes_back_byte_for_byte(
    original: str, ours: str, family: str
) -> None:
    parsed = to_ours(original)
    assert parsed.text == ours
    assert parsed.syntax.family == family
    assert parsed.unresolved == ()
    assert to_merchant(parsed.text, parsed.syntax) == original


@pytest.mark.parametrize(
    ("token", "field"),
    [
        ("{{ first_name }}", "first_name"),
        ("{{first_name}}", "first_name"),
        ("{{ person.first_name }}", "first_name"),
        ("{{ first_name|default:'there' }}", "first_name"),
        ("{{ customer.first_name }}", "first_name"),
        ("*|FNAME|*", "first_name"),
        ("[First name]", "first_name"),
        ("[first_name]", "first_name"),
        ("[Name]", "first_name"),
        ("[FIRST NAME]", "first_name"),
        ("[Customer Name]", "first_name"),
        ("%FIRSTNAME%", "first_name"),
        ("%first_name%", "first_name"),
        ("{FirstName}", "first_name"),
        ("{firstName}", "first_name"),
        ("{name}", "first_name"),
        ("{first name}", "first_name"),
        ("{{ product_url }}", "link"),
        ("{{ url }}", "link"),
        ("{{ checkout_url }}", "link"),
        ("[link]", "link"),
        ("[Link]", "link"),
        ("[URL]", "link"),
        ("[shop link]", "link"),
        ("[product link]", "link"),
        ("{url}", "link"),
        ("{{ shop.name }}", "shop_name"),
        ("{{ organization.name }}", "shop_name"),
        ("*|COMPANY|*", "shop_name"),
        ("*|LIST:COMPANY|*", "shop_name"),
        ("[Shop Name]", "shop_name"),
        ("[Store Name]", "shop_name"),
        ("[Brand]", "shop_name"),
        ("[Your Shop]", "shop_name"),
        ("[Company]", "shop_name"),
        ("{shop}", "shop_name"),
    ],
)
def test_each_tools_token_becomes_our_placeholder(token: str, field: str) -> None:
    parsed = to_ours(f"News for you {token} today.")
    assert parsed.text == f"News for you {{{field}}} today."
    assert parsed.syntax.tokens(field) == (token,)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("message", "ours"),
    [
        ("{{1}}, your order is ready for pickup.", "{first_name}, your order is ready for pickup."),
        ("Dear {{1}}, thank you for your order.", "Dear {first_name}, thank you for your order."),
        ("Hola {{1}}! Tu carrito te espera.", "Hola {first_name}! Tu carrito te espera."),
        ("Hallo {{1}}, dein Warenkorb wartet.", "Hallo {first_name}, dein Warenkorb wartet."),
        ("New arrivals are in. Shop them at {{1}}", "New arrivals are in. Shop them at {link}"),
        ("Visit {{1}} before midnight.", "Visit {link} before midnight."),
        (
            "Your order is on its way. Track it:\n{{1}}",
            "Your order is on its way. Track it:\n{link}",
        ),
        (
            "Your cart is saved.\nOne tap to finish\n{{1}}",
            "Your cart is saved.\nOne tap to finish\n{link}",
        ),
        ("Your order {{1}} is on its way.", "Your order {{1}} is on its way."),
    ],
)
def test_whatsapp_numbers_are_read_from_where_they_stand(message: str, ours: str) -> None:
    parsed = to_ours(message)
    assert parsed.text == ours
    assert parsed.syntax.family == "whatsapp"
    assert to_merchant(parsed.text, parsed.syntax) == message


def test_a_whatsapp_order_number_stays_unresolved_in_place() -> None:
    message = "Hi {{1}}, your order {{3}} has shipped! Track it here: {{2}}"
    parsed = to_ours(message)
    assert parsed.text == "Hi {first_name}, your order {{3}} has shipped! Track it here: {link}"
    assert parsed.unresolved == (Slot("{{3}}", (21, 26), "unknown"),)
    assert to_merchant(parsed.text, parsed.syntax) == message


def test_a_whatsapp_number_keeps_its_meaning_wherever_it_appears() -> None:
    message = "Hi {{1}}, your cart misses you. See you soon, {{1}}!"
    parsed = to_ours(message)
    assert parsed.text == "Hi {first_name}, your cart misses you. See you soon, {first_name}!"
    assert parsed.unresolved == ()


def test_a_whatsapp_code_variable_is_guessed_as_a_code() -> None:
    parsed = to_ours("Hi {{1}}, use code {{2}} at checkout.")
    assert parsed.unresolved == (Slot("{{2}}", (19, 24), "code"),)


@pytest.mark.parametrize(
    ("message", "opt_out", "ours"),
    [
        (MAILCHIMP, "*|UNSUB|*", None),
        (KLAVIYO, "{% unsubscribe 'Unsubscribe' %}", None),
        (
            "Shop the drop: {{ url }}\nNo more e-mails? {{ unsubscribe_url }}",
            "{{ unsubscribe_url }}",
            "Shop the drop: {link}\nNo more e-mails? {{ unsubscribe_url }}",
        ),
    ],
)
def test_the_merchants_unsubscribe_is_their_opt_out_not_the_campaign_link(
    message: str, opt_out: str, ours: str | None
) -> None:
    parsed = to_ours(message)
    assert parsed.opt_out == opt_out
    assert opt_out in parsed.text
    assert parsed.text.count("{link}") == 1
    assert parsed.unresolved == ()
    if ours is not None:
        assert parsed.text == ours
    assert to_merchant(parsed.text, parsed.syntax) == message


def test_a_rewrite_keeps_the_merchants_exact_token_even_when_used_again() -> None:
    parsed = to_ours("Hi {{ person.first_name|default:'there' }}, your cart is waiting.")
    rewritten = "{first_name}, your cart is waiting. Don't miss out, {first_name}!"
    assert to_merchant(rewritten, parsed.syntax) == (
        "{{ person.first_name|default:'there' }}, your cart is waiting. "
        "Don't miss out, {{ person.first_name|default:'there' }}!"
    )


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        ("ours", "Hi {first_name}, {shop_name} picked this for you: {link}"),
        ("liquid", "Hi {{ first_name }}, {{ organization.name }} picked this for you: {{ url }}"),
        ("mailchimp", "Hi *|FNAME|*, *|LIST:COMPANY|* picked this for you: {link}"),
        ("whatsapp", "Hi {{1}}, {{2}} picked this for you: {{3}}"),
        ("brackets", "Hi [First name], [Shop name] picked this for you: [link]"),
        ("percent", "Hi %FIRSTNAME%, %SHOPNAME% picked this for you: %LINK%"),
    ],
)
def test_fields_the_original_did_not_use_are_written_in_the_familys_style(
    family: str, expected: str
) -> None:
    text = "Hi {first_name}, {shop_name} picked this for you: {link}"
    assert to_merchant(text, syntax_named(family)) == expected


def test_a_new_field_follows_the_originals_own_spelling() -> None:
    shopify = to_ours("Hey {{customer.first_name}}, your cart is waiting.")
    assert to_merchant("Hey {first_name}, {shop_name} kept it: {link}", shopify.syntax) == (
        "Hey {{customer.first_name}}, {{shop.name}} kept it: {{url}}"
    )
    mailchimp = to_ours("Hi *|FNAME|*, new in this week.")
    assert to_merchant("Hi {first_name}, see {link}", mailchimp.syntax) == (
        "Hi *|FNAME|*, see {link}"
    )
    postscript = to_ours("hey %first_name%, it's back")
    assert to_merchant("hey {first_name}: {link}", postscript.syntax) == (
        "hey %first_name%: %link%"
    )


def test_a_new_whatsapp_field_takes_the_next_free_number() -> None:
    parsed = to_ours("Hi {{1}}, your order {{3}} has shipped.")
    rewritten = parsed.text + " Track it here: {link}"
    assert to_merchant(rewritten, parsed.syntax) == (
        "Hi {{1}}, your order {{3}} has shipped. Track it here: {{4}}"
    )


def test_a_family_can_be_forced_by_name() -> None:
    assert syntax_named(" Mailchimp ").family == "mailchimp"
    assert [syntax_named(name).family for name in FAMILIES] == list(FAMILIES)
    with pytest.raises(ValueError, match="ours, liquid, mailchimp, whatsapp, brackets, percent"):
        syntax_named("klaviyo")
    with pytest.raises(ValueError, match="klaviyo"):
        MergeSyntax(family="klaviyo")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "message",
    [
        "Our spring sale is on: 20% off everything until Sunday.",
        "The fit runs small (see below), so size up [sic].",
        "[NEW] The Trail Runner X is here. Reply STOP to opt out.",
        "Prices from $49 (VAT incl.). 100% cotton, 50/50 blend.",
    ],
)
def test_text_without_placeholders_comes_back_unchanged(message: str) -> None:
    parsed = to_ours(message)
    assert parsed.text == message
    assert parsed.syntax == MergeSyntax(family="ours")
    assert parsed.unresolved == ()
    assert parsed.opt_out is None
    assert to_merchant(parsed.text, parsed.syntax) == message


@pytest.mark.parametrize(
    ("message", "token", "kind"),
    [
        (
            "Get [discount / free shipping] on your next order.",
            "[discount / free shipping]",
            "offer",
        ),
        ("The [Product Name] is back in stock.", "[Product Name]", "product"),
        ("Take [X]% off this weekend.", "[X]%", "offer"),
        ("Save XX% on all knitwear.", "XX%", "offer"),
        ("Use [insert code] at checkout.", "[insert code]", "code"),
        ("Your code: [CODE]", "[CODE]", "code"),
        ("Offer ends [date].", "[date]", "date"),
        ("Enjoy <discount> on us.", "<discount>", "offer"),
        ("Your code {{ coupon_code }} is ready.", "{{ coupon_code }}", "code"),
    ],
)
def test_template_blanks_are_reported_with_their_kind(message: str, token: str, kind: str) -> None:
    parsed = to_ours(message)
    start = message.index(token)
    assert parsed.unresolved == (Slot(token, (start, start + len(token)), kind),)  # type: ignore[arg-type]
    assert token in parsed.text


def test_blank_spans_index_the_original_text() -> None:
    message = "Hi {{ person.first_name }}, the [Product Name] is waiting at [Your Shop]."
    parsed = to_ours(message, shop_name_known=False)
    assert parsed.text == "Hi {first_name}, the [Product Name] is waiting at [Your Shop]."
    assert [message[slot.span[0] : slot.span[1]] for slot in parsed.unresolved] == [
        "[Product Name]",
        "[Your Shop]",
    ]
    assert [slot.kind for slot in parsed.unresolved] == ["product", "shop_name"]


def test_your_shop_is_our_shop_name_unless_no_shop_name_is_known() -> None:
    assert to_ours("Thanks for shopping at [Your Shop].").text == (
        "Thanks for shopping at {shop_name}."
    )
    unknown = to_ours("Thanks for shopping at [Your Shop].", shop_name_known=False)
    assert unknown.text == "Thanks for shopping at [Your Shop]."
    assert unknown.unresolved == (Slot("[Your Shop]", (23, 34), "shop_name"),)


def test_fill_fills_blanks_by_kind_and_reports_what_it_could_not() -> None:
    text = "Get [discount / free shipping] on the [Product Name] at [Your Shop]."
    filled, left = fill(text, {"offer": "20% off", "product": "Cloud Sofa", "shop_name": None})
    assert filled == "Get 20% off on the Cloud Sofa at [Your Shop]."
    assert left == (Slot("[Your Shop]", (33, 44), "shop_name"),)
    assert filled[33:44] == "[Your Shop]"

    filled, left = fill(text, {"offer": "20% off", "product": "Cloud Sofa", "shop_name": "Knix"})
    assert filled == "Get 20% off on the Cloud Sofa at Knix."
    assert left == ()


def test_fill_puts_only_the_number_into_a_percent_blank() -> None:
    text = "Take XX% off with code [CODE] before [date]."
    filled, left = fill(text, {"offer": "20% off", "code": "SAVE20", "date": "Sunday"})
    assert filled == "Take 20% off with code SAVE20 before Sunday."
    assert left == ()
    filled, left = fill(text, {"offer": "free shipping", "code": "SAVE20", "date": ""})
    assert filled == "Take XX% off with code SAVE20 before [date]."
    assert [slot.token for slot in left] == ["XX%", "[date]"]


def test_fill_takes_a_value_for_an_exact_token() -> None:
    parsed = to_ours("Hi {{1}}, your order {{3}} has shipped: {{2}}")
    filled, left = fill(parsed.text, {"{{3}}": "#1042"})
    assert filled == "Hi {first_name}, your order #1042 has shipped: {link}"
    assert left == ()


def test_a_template_library_message_is_filled_and_handed_back_in_the_merchants_tokens() -> None:
    pasted = (
        "Hi *|FNAME|*, the [Product Name] you loved is back with [discount / free shipping]. "
        "Use [insert code] at [Your Shop].\n*|UNSUB|*"
    )
    parsed = to_ours(pasted, shop_name_known=False)
    values = {"product": "Cloud Sofa", "offer": "free shipping", "code": "SHIPFREE"}
    filled, left = fill(parsed.text, values)
    assert [slot.token for slot in left] == ["[Your Shop]"]
    filled, left = fill(filled, {"shop_name": "Knix"})
    assert left == ()
    assert to_merchant(filled, parsed.syntax) == (
        "Hi *|FNAME|*, the Cloud Sofa you loved is back with free shipping. "
        "Use SHIPFREE at Knix.\n*|UNSUB|*"
    )


def test_mixed_tokens_each_come_back_as_written() -> None:
    message = (
        "Hi *|FNAME|*, the [Product Name] you liked is back at {{ shop.name }}. Shop now: [link]"
    )
    parsed = to_ours(message)
    assert parsed.text == (
        "Hi {first_name}, the [Product Name] you liked is back at {shop_name}. Shop now: {link}"
    )
    assert parsed.syntax.family == "mailchimp"
    assert [slot.token for slot in parsed.unresolved] == ["[Product Name]"]
    assert to_merchant(parsed.text, parsed.syntax) == message


def test_our_own_link_beside_a_mailchimp_name_keeps_the_mailchimp_family() -> None:
    parsed = to_ours("Hi *|FNAME|*, shop now: {link}")
    assert parsed.syntax.family == "mailchimp"
    assert to_merchant("{first_name}, {shop_name} misses you", parsed.syntax) == (
        "*|FNAME|*, *|LIST:COMPANY|* misses you"
    )


_PIECES = st.sampled_from(
    [
        "Hi ",
        " at ",
        ": ",
        "\n",
        "{",
        "}",
        "[",
        "]",
        "%",
        "{{ url }}",
        "{{first_name}}",
        "{{ shop.name }}",
        "{% unsubscribe %}",
        "*|FNAME|*",
        "*|UNSUB|*",
        "{{1}}",
        "{{3}}",
        "[First name]",
        "[Your Shop]",
        "[see ",
        "%LINK%",
        "XX%",
        "<discount>",
        "{link}",
        "{first_name}",
        "{shop}",
    ]
)


@pytest.mark.reliability
@settings(max_examples=500, deadline=None)
@given(text=st.lists(_PIECES | st.text(max_size=4), max_size=12).map("".join))
def test_any_mix_of_tokens_round_trips_and_blank_spans_hold(text: str) -> None:
    parsed = to_ours(text)
    assert to_merchant(parsed.text, parsed.syntax) == text
    for slot in parsed.unresolved:
        assert text[slot.span[0] : slot.span[1]] == slot.token
    filled, left = fill(parsed.text, {})
    assert filled == parsed.text
    for slot in left:
        assert filled[slot.span[0] : slot.span[1]] == slot.token
