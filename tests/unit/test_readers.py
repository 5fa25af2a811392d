"""Blind A/B reader judging: the sheet hides which side is ours, the key finds it again, and
the score counts, agrees and splits the way a reader of the report expects."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crmagent.cli import app
from crmagent.measure import readers
from crmagent.measure.readers import Item, ReadersError, Text


def _item(number: int, *, offer: str | None = None, subject: str | None = None) -> Item:
    return Item(
        id=f"shop-sms-{number:02d}",
        channel="sms",
        offer=offer,
        product=None,
        original=Text(subject, f"original text {number}"),
        ours=Text(subject, f"OURS body {number}"),
        other=Text(subject, f"OTHER body {number}"),
    )


def _sections(markdown: str) -> dict[str, str]:
    """Each item's section of a sheet, by item name."""
    parts = re.split(r"^## (item-\d+)$", markdown, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _side(section: str, letter: str) -> str:
    """The text under A: or B: in an item's section."""
    after = section.split(f"**{letter}:**", 1)[1]
    return after.split("**B:**", 1)[0] if letter == "A" else after


# --- the sheet -----------------------------------------------------------------------------


def test_same_items_and_seed_give_the_same_sheet_whatever_the_input_order() -> None:
    items = [_item(n) for n in range(1, 13)]
    first = readers.build_sheet(items, 7, "original")
    again = readers.build_sheet(list(reversed(items)), 7, "original")
    other_seed = readers.build_sheet(items, 8, "original")
    assert first == again
    assert first[1]["items"] != other_seed[1]["items"]


@pytest.mark.parametrize("count", [10, 11, 40])
def test_ours_is_a_in_half_the_items(count: int) -> None:
    for seed in range(5):
        _, key = readers.build_sheet([_item(n) for n in range(1, count + 1)], seed, "original")
        as_a = sum(entry["ours"] == "A" for entry in key["items"].values())
        assert as_a in {count // 2, (count + 1) // 2}


def test_the_order_is_shuffled_not_the_input_order() -> None:
    items = [_item(n) for n in range(1, 21)]
    _, key = readers.build_sheet(items, 1, "original")
    ids = [entry["id"] for entry in key["items"].values()]
    assert sorted(ids) == [item.id for item in items]
    assert ids != sorted(ids)


def test_the_key_finds_ours_in_the_sheet_and_nothing_in_it_names_the_message() -> None:
    items = [_item(n, offer="20% off, code SAVE20" if n % 2 else None) for n in range(1, 9)]
    markdown, key = readers.build_sheet(items, 3, "original")
    sections = _sections(markdown)
    assert list(sections) == list(key["items"]) == [f"item-{n:02d}" for n in range(1, 9)]
    for name, entry in key["items"].items():
        number = int(entry["id"].rsplit("-", 1)[1])
        theirs = "B" if entry["ours"] == "A" else "A"
        assert f"OURS body {number}" in _side(sections[name], entry["ours"])
        assert f"OTHER body {number}" in _side(sections[name], theirs)
        assert entry["offer"] is (number % 2 == 1)
        offer = "20% off, code SAVE20" if number % 2 else "no offer"
        assert f"- Offer: {offer}" in sections[name]
    assert "shop-sms" not in markdown
    assert markdown.startswith("# Which would you send?\n\n" + readers.INSTRUCTION)


def test_a_subject_is_shown_and_copy_cannot_break_out_of_its_fence() -> None:
    item = _item(1, subject="Last chance")
    tricky = Item(**{**item.__dict__, "ours": Text("Last chance", "a ``` b\n## item-99")})
    markdown, _ = readers.build_sheet([tricky], 1, "original")
    assert "Subject:" in markdown and "Last chance" in markdown
    assert "````text\na ``` b\n## item-99\n````" in markdown


def test_no_items_is_an_error() -> None:
    with pytest.raises(ReadersError, match="no items"):
        readers.build_sheet([], 1, "original")


def test_offer_in_words() -> None:
    assert readers.offer_words(None) is None
    voucher = {"type": "percent_off", "value": 20, "code": "SAVE20", "expires": "2026-12-31"}
    assert readers.offer_words(voucher) == "20% off, code SAVE20, ends 2026-12-31"
    assert readers.offer_words({"type": "free_shipping", "value": None, "min_spend": 50}) == (
        "free shipping on orders over $50"
    )


# --- scoring -------------------------------------------------------------------------------

KEY: dict[str, Any] = {
    "seed": 1,
    "versus": "original",
    "items": {
        "item-1": {"id": "m1", "ours": "A", "offer": True},
        "item-2": {"id": "m2", "ours": "B", "offer": True},
        "item-3": {"id": "m3", "ours": "A", "offer": False},
        "item-4": {"id": "m4", "ours": "B", "offer": False},
    },
}
# Reader 1 prefers ours on items 1-3, reader 2 only on item 1.
FIRST = {"item-1": "A", "item-2": "B", "item-3": "A", "item-4": "A"}
SECOND = {"item-1": "a", "item-2": "a", "item-3": "b", "item-4": "A"}


def test_cohen_kappa_on_a_textbook_table() -> None:
    # 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> p_o 0.7, p_e 0.5, kappa 0.4.
    first = ["y"] * 25 + ["n"] * 25
    second = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert readers.cohen_kappa(first, second) == pytest.approx(0.4)
    assert readers.cohen_kappa(first, first) == pytest.approx(1.0)
    assert readers.cohen_kappa(["y", "y"], ["y", "y"]) is None
    assert readers.cohen_kappa([], []) is None


def test_two_readers_shares_agreement_and_kappa() -> None:
    scores = readers.score(KEY, [FIRST, SECOND], names=["ann.json", "bob.json"])
    ann, bob = scores.all.readers
    assert (ann.reader, ann.ours.k, ann.ours.n, ann.missing) == ("ann.json", 3, 4, 0)
    assert (bob.ours.k, bob.ours.n) == (1, 4)
    assert scores.all.mean_share == pytest.approx(0.5)
    assert (scores.all.all_prefer_ours.k, scores.all.all_prefer_ours.n) == (1, 4)
    assert scores.all.agreement == pytest.approx(0.5)
    # p_o 0.5; p_e 0.75*0.25 + 0.25*0.75 = 0.375; kappa 0.125 / 0.625.
    assert scores.all.kappa == pytest.approx(0.2)
    assert scores.with_offer.items == scores.without_offer.items == 2
    assert (scores.with_offer.all_prefer_ours.k, scores.with_offer.all_prefer_ours.n) == (1, 2)
    assert scores.with_offer.mean_share == pytest.approx(0.75)
    assert scores.without_offer.mean_share == pytest.approx(0.25)
    assert scores.with_offer.kappa == pytest.approx(0.0)
    low, high = ann.ours.low, ann.ours.high
    assert 0.2 < low < 0.75 < high < 1.0


def test_three_readers_mean_pairwise() -> None:
    scores = readers.score(KEY, [FIRST, SECOND, dict(FIRST)])
    assert [r.reader for r in scores.all.readers] == ["reader 1", "reader 2", "reader 3"]
    assert scores.all.agreement == pytest.approx((0.5 + 1.0 + 0.5) / 3)
    assert scores.all.kappa == pytest.approx((0.2 + 1.0 + 0.2) / 3)


def test_one_reader_has_no_agreement() -> None:
    scores = readers.score(KEY, [FIRST])
    assert scores.all.agreement is None and scores.all.kappa is None
    assert scores.all.all_prefer_ours.k == 3


def test_missing_and_blank_answers_are_counted_not_scored() -> None:
    partial = {"item-1": "A", "item-2": " "}
    scores = readers.score(KEY, [partial, FIRST])
    reader = scores.all.readers[0]
    assert (reader.ours.k, reader.ours.n, reader.missing) == (1, 1, 3)
    # Agreement only over items both answered.
    assert scores.all.agreement == pytest.approx(1.0)
    assert scores.all.all_prefer_ours.n == 1


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"item-2": "C"}, r"bob\.json: item-2: answer 'C' is not A or B"),
        ({"item-2": 1}, r"bob\.json: item-2: answer 1 is not A or B"),
        ({"item-9": "A"}, r"bob\.json: item-9: no such item"),
        (["A", "B"], r"bob\.json: expected a JSON object"),
    ],
)
def test_invalid_answers_name_the_file_and_item(answers: Any, message: str) -> None:
    with pytest.raises(ReadersError, match=message):
        readers.score(KEY, [FIRST, answers], names=["ann.json", "bob.json"])


def test_a_broken_key_is_an_error() -> None:
    with pytest.raises(ReadersError, match="item-1: ours must be A or B"):
        readers.score({"items": {"item-1": {"ours": "C"}}}, [FIRST])


# --- kept share ----------------------------------------------------------------------------


def test_kept_share_counts_content_words_only() -> None:
    original = "Hi {first_name}, your cart is waiting! Come back for 20% off: [link] {{1}}"
    # Content words: cart, waiting, come, back, off (hi/is are short, your/for stopwords).
    assert readers.content_words(original) == {"cart", "waiting", "come", "back", "off"}
    rewrite = "Your CART misses you. Come back today: 20% off https://x.example/abc"
    assert readers.kept_share(original, rewrite) == pytest.approx(4 / 5)
    assert readers.kept_share(original, original) == 1.0
    assert readers.kept_share("{{1}} [link]", "anything") == 1.0


def test_kept_medians_of_ours_and_the_other_side() -> None:
    original = Text(None, "cart waiting come back")
    kept = ["cart", "cart waiting", "cart waiting come back"]
    items = [
        Item(f"m{n}", "sms", None, None, original, Text(None, words), original)
        for n, words in enumerate(kept)
    ]
    # Ours keeps 1/4, 2/4 and 4/4; the other side is the original itself.
    ours, other = readers.kept_medians(items)
    assert (ours, other) == (0.5, 1.0)


# --- the command line ----------------------------------------------------------------------


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    requests = [
        {
            "id": f"shop-sms-{n}",
            "channel": "sms",
            "voucher": {"type": "percent_off", "value": 20, "code": "SAVE20"} if n % 2 else None,
            "original_template": f"Hi {{first_name}}, come back to the shop {n} [link]",
        }
        for n in range(1, 7)
    ]
    ours = [
        {"id": f"shop-sms-{n}", "template": {"subject": None, "body": f"Ours for shop {n}"}}
        for n in range(1, 6)
    ] + [{"id": "shop-sms-6", "error": "rule check failed"}]
    other = [{"id": f"shop-sms-{n}", "subject": None, "body": f"Chat {n}"} for n in range(1, 5)]
    return {
        "requests": _jsonl(tmp_path / "requests.jsonl", requests),
        "ours": _jsonl(tmp_path / "ours.jsonl", ours),
        "other": _jsonl(tmp_path / "chat.jsonl", other),
        "out": tmp_path / "sheet",
    }


def _run(*args: object) -> Any:
    return CliRunner().invoke(app, [str(arg) for arg in args])


def test_cli_sheet_then_score(files: dict[str, Path], tmp_path: Path) -> None:
    out = files["out"]
    result = _run("readers", "sheet", files["requests"], files["ours"], "--seed", 5, "--out", out)
    assert result.exit_code == 0, result.output
    assert "5 item(s)" in result.stdout
    assert "1 error line(s)" in result.stdout
    assert "median share of the original's content words kept: ours" in result.stdout
    sheet = (out / "sheet.md").read_text(encoding="utf-8")
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert key["seed"] == 5 and key["versus"] == "original" and len(key["items"]) == 5
    assert "- Offer: 20% off, code SAVE20" in sheet and "- Offer: no offer" in sheet

    always_ours = {name: entry["ours"] for name, entry in key["items"].items()}
    always_a = dict.fromkeys(key["items"], "a")
    first = tmp_path / "ann.json"
    second = tmp_path / "bob.json"
    first.write_text(json.dumps(always_ours), encoding="utf-8")
    second.write_text(json.dumps(always_a), encoding="utf-8")
    as_a = sum(entry["ours"] == "A" for entry in key["items"].values())

    result = _run("readers", "score", out / "key.json", first, second)
    assert result.exit_code == 0, result.output
    assert f"{first}: ours preferred 5 of 5 (100%" in result.stdout
    assert f"{second}: ours preferred {as_a} of 5" in result.stdout
    assert "Cohen's kappa" in result.stdout and "without an offer (2 item(s))" in result.stdout

    result = _run("readers", "score", out / "key.json", first, second, "--json")
    figures = json.loads(result.stdout)
    assert figures["seed"] == 5
    assert figures["all"]["readers"][0]["ours"]["share"] == 1.0
    assert figures["all"]["agreement"] == pytest.approx(as_a / 5)
    assert figures["with_offer"]["items"] == 3


def test_cli_sheet_versus_a_file(files: dict[str, Path]) -> None:
    versus = ["--versus", files["other"], "--out", files["out"]]
    result = _run("readers", "sheet", files["requests"], files["ours"], *versus)
    assert result.exit_code == 0, result.output
    assert "4 item(s)" in result.stdout
    assert f"1 request(s) with no text in {files['other']}" in result.stdout
    sheet = (files["out"] / "sheet.md").read_text(encoding="utf-8")
    assert "Chat 1" in sheet and "come back to the shop" not in sheet


def test_cli_keeps_a_key_of_another_sheet(files: dict[str, Path]) -> None:
    base = ["readers", "sheet", files["requests"], files["ours"], "--out", files["out"]]
    assert _run(*base, "--seed", 1).exit_code == 0
    assert _run(*base, "--seed", 1).exit_code == 0  # the same sheet again is fine
    result = _run(*base, "--seed", 2)
    assert result.exit_code == 2
    assert "already holds the key of another sheet" in result.stderr


def test_cli_errors_exit_2_naming_the_problem(files: dict[str, Path], tmp_path: Path) -> None:
    stray = _jsonl(tmp_path / "stray.jsonl", [{"id": "nope", "template": {"body": "x"}}])
    result = _run("readers", "sheet", files["requests"], stray, "--out", files["out"])
    assert result.exit_code == 2
    assert "not among the requests: 'nope'" in result.stderr

    made = _run("readers", "sheet", files["requests"], files["ours"], "--out", files["out"])
    assert made.exit_code == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"item-01": "maybe"}), encoding="utf-8")
    result = _run("readers", "score", files["out"] / "key.json", bad)
    assert result.exit_code == 2
    assert f"{bad}: item-01: answer 'maybe' is not A or B" in result.stderr
