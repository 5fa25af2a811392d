"""Blind A/B judging of copy by readers: a sheet to hand out, a key kept back, and the score.

A reader sees two texts, A and B, for the same message (one is ours, the other the merchant's
original or another writer's rewrite) with the merchant's real offer, and says which one they
would send. Which side is ours is hidden: items are named ``item-01``... in a seeded random
order, and ours is A in half of them (at random, by the same seed). The key maps each item
back to its message and says where ours was; ``score`` reads the answers against it.

``kept_share`` is a diagnostic beside the verdict: how much of the original's wording a
rewrite keeps (a rewrite that keeps nothing may be better copy, or may have lost the message).
"""

from __future__ import annotations

import json
import math
import random
import re
import statistics
from collections.abc import Collection, Hashable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import combinations
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from prompts.common import UNTRUSTED
from prompts.readers import (
    DIRECT_BODY_ONLY,
    DIRECT_NO_OFFER,
    DIRECT_NO_ORIGINAL,
    DIRECT_PARTS,
    DIRECT_SMS,
    DIRECT_SYSTEM,
    DIRECT_USER,
)
from tools.domain import Voucher
from tools.message.offers import offer_phrase
from tools.models import Spend, ask

Letter = Literal["A", "B"]

INSTRUCTION = (
    "For each message, say which text you would send to your customers, A or B. "
    "Judge as the merchant: is it true to the offer, clear, would a customer act on it? "
    'Answer as JSON {"<item>": "A"|"B", ...}'
)
"""What a reader is asked, at the top of every sheet."""

_Z95 = 1.959963984540054


class ReadersError(ValueError):
    """A file or an answer that cannot be used, with the file, line or item that is wrong."""


@dataclass(frozen=True)
class Text:
    """One side of an item: an optional subject (e-mail subject, push title) and a body."""

    subject: str | None
    body: str

    def words(self) -> str:
        """Subject and body as one text."""
        return f"{self.subject}\n{self.body}" if self.subject else self.body


@dataclass(frozen=True)
class Item:
    """A message to judge: ours and the other side, with what the reader is told about it."""

    id: str
    """The message id (the request's); never shown to the reader."""
    channel: str
    offer: str | None
    """The real offer in words (``20% off, code SAVE20, ends 2026-12-31``); None: no offer."""
    product: str | None
    original: Text
    ours: Text
    other: Text


@dataclass(frozen=True)
class Pairing:
    """The items built from the three files, and what was left out and why."""

    items: list[Item]
    error_lines: int
    """Lines of OURS that are batch errors (no template), skipped."""
    other_error_lines: int
    """Error lines in the other file (``--versus FILE``), skipped."""
    no_ours: int
    """Requests with no line at all in OURS."""
    no_other: int
    """Requests answered in OURS with no line at all in the other file."""
    unused_other: int
    """Texts in the other file for messages that are not among the requests."""


# --- reading the files -------------------------------------------------------------------


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank line of a JSONL file as an object, with its line number."""
    try:
        handle = path.open(encoding="utf-8-sig")
    except OSError as exc:
        raise ReadersError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ReadersError(f"{path}: line {number}: not JSON: {exc.msg}") from exc
            if not isinstance(item, dict):
                raise ReadersError(f"{path}: line {number}: expected a JSON object")
            yield number, item


def _id(item: Mapping[str, Any], number: int) -> str:
    # As `crmagent batch` does: an id left out or null is the line number.
    return str(number) if item.get("id") is None else str(item["id"])


def _text(value: Any, where: str) -> Text:
    if not isinstance(value, Mapping):
        raise ReadersError(f"{where}: expected an object with a body")
    body, subject = value.get("body"), value.get("subject")
    if not isinstance(body, str) or not body.strip():
        raise ReadersError(f"{where}: body is missing or blank")
    if subject is not None and not isinstance(subject, str):
        raise ReadersError(f"{where}: subject must be text or null")
    return Text(subject=subject or None, body=body)


def read_requests(path: Path) -> dict[str, dict[str, Any]]:
    """The requests of a JSONL file by id; a repeated id or a request with no
    ``original_template`` is an error naming its line."""
    requests: dict[str, dict[str, Any]] = {}
    for number, item in _lines(path):
        key = _id(item, number)
        if key in requests:
            raise ReadersError(f"{path}: line {number}: id {key!r} appears twice")
        original = item.get("original_template")
        if not isinstance(original, str) or not original.strip():
            raise ReadersError(f"{path}: line {number}: original_template is missing or blank")
        requests[key] = item
    return requests


def read_texts(path: Path) -> tuple[dict[str, Text], list[str]]:
    """Texts by message id from a JSONL file, and the ids of the error lines skipped.

    A line is ``crmagent batch`` output (``{"id", "template": {"subject", "body"}}``), a bare
    rewrite (``{"id", "subject", "body"}``) or an error line (``{"id", "error"}``, skipped).
    """
    texts: dict[str, Text] = {}
    skipped: list[str] = []
    for number, item in _lines(path):
        key = _id(item, number)
        where = f"{path}: line {number}"
        if "template" in item:
            text = _text(item["template"], f"{where}: template")
        elif "body" in item:
            text = _text(item, where)
        elif "error" in item:
            skipped.append(key)
            continue
        else:
            raise ReadersError(f"{where}: neither a template, a body nor an error")
        if key in texts:
            raise ReadersError(f"{where}: id {key!r} appears twice")
        texts[key] = text
    return texts, skipped


def offer_words(voucher: Mapping[str, Any] | None) -> str | None:
    """A request's offer as a reader is told it (``20% off, code SAVE20, ends 2026-12-31``),
    or None when it carries no offer. Raises ``ValueError`` for a voucher that is not one."""
    if voucher is None:
        return None
    checked = Voucher.model_validate(voucher)
    parts = [offer_phrase(checked)]
    if checked.code:
        parts.append(f"code {checked.code}")
    if checked.expires:
        parts.append(f"ends {checked.expires.isoformat()}")
    return ", ".join(parts)


def pair(
    requests: Mapping[str, Mapping[str, Any]],
    ours: Mapping[str, Text],
    other: Mapping[str, Text] | None,
    *,
    ours_errors: Collection[str] = (),
    other_errors: Collection[str] = (),
) -> Pairing:
    """Items for every request answered in ``ours`` (and in ``other``; None: the other side
    is the request's original). ``ours_errors`` and ``other_errors`` are the ids of error
    lines skipped in each file, counted apart from requests with no line at all. An id of
    ``ours`` that is not a request is an error: the files do not belong together."""
    stray = sorted(set(ours) - set(requests))
    if stray:
        shown = ", ".join(repr(key) for key in stray[:5])
        raise ReadersError(f"{len(stray)} id(s) of ours are not among the requests: {shown}")
    items: list[Item] = []
    no_ours = no_other = 0
    for key, request in requests.items():
        if key not in ours:
            no_ours += key not in ours_errors
            continue
        original = Text(request.get("original_subject") or None, request["original_template"])
        side = original if other is None else other.get(key)
        if side is None:
            no_other += key not in other_errors
            continue
        try:
            offer = offer_words(request.get("voucher"))
        except (ValidationError, ValueError, TypeError) as exc:
            raise ReadersError(f"request {key!r}: voucher is not valid: {exc}") from exc
        items.append(
            Item(
                id=key,
                channel=str(request.get("channel") or "unknown"),
                offer=offer,
                product=request.get("product_name") or None,
                original=original,
                ours=ours[key],
                other=side,
            )
        )
    unused = 0 if other is None else len(set(other) - set(requests))
    return Pairing(items, len(ours_errors), len(other_errors), no_ours, no_other, unused)


# --- the sheet and the key -----------------------------------------------------------------


def _fenced(text: str) -> str:
    # A fence longer than any run of backticks in the text, so copy cannot close it.
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.strip()}\n{fence}"


def _side(letter: str, text: Text) -> list[str]:
    lines = [f"**{letter}:**", ""]
    if text.subject:
        lines += ["Subject:", "", _fenced(text.subject), "", "Body:", ""]
    return [*lines, _fenced(text.body), ""]


def build_sheet(items: Sequence[Item], seed: int, versus: str) -> tuple[str, dict[str, Any]]:
    """The reader's sheet (markdown) and the key kept back (``key.json``'s content).

    Items are sorted by id and then shuffled by ``seed``, so the same items and seed give
    the same sheet whatever order the files were in; ours is A in half the items (the odd one
    out at random), so a reader who always says A scores one half.
    """
    if not items:
        raise ReadersError("no items to judge: no request has both sides")
    rng = random.Random(seed)
    order = sorted(items, key=lambda item: item.id)
    rng.shuffle(order)
    letters: list[Letter] = ["A", "B"] * (len(order) // 2)
    if len(order) % 2:
        letters.append(rng.choice(["A", "B"]))
    rng.shuffle(letters)
    width = max(2, len(str(len(order))))
    lines = ["# Which would you send?", "", INSTRUCTION, ""]
    key_items: dict[str, dict[str, Any]] = {}
    for number, (item, ours_at) in enumerate(zip(order, letters, strict=True), start=1):
        name = f"item-{number:0{width}d}"
        key_items[name] = {"id": item.id, "ours": ours_at, "offer": item.offer is not None}
        first, second = (item.ours, item.other) if ours_at == "A" else (item.other, item.ours)
        lines += [f"## {name}", "", f"- Channel: {item.channel}"]
        if item.product:
            lines.append(f"- Product: {item.product}")
        lines += [f"- Offer: {item.offer or 'no offer'}", ""]
        lines += [*_side("A", first), *_side("B", second)]
    skeleton = json.dumps(dict.fromkeys(key_items, ""), indent=1)
    lines += ["## Your answer", "", "Fill in A or B for each item:", "", _fenced(skeleton), ""]
    key = {"seed": seed, "versus": versus, "items": key_items}
    return "\n".join(lines) + "\n", key


# --- kept share ----------------------------------------------------------------------------

_PLACEHOLDER = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\{[^{}\n]*\}|\[[^\[\]\n]*\]|\*\|[^|\n]*\|\*|%%?[A-Za-z_]+%%?"
    r"|https?://\S+|www\.\S+",
    re.DOTALL,
)
_WORD = re.compile(r"[^\W\d_]+")
# fmt: off
STOPWORDS = frozenset((
    "the", "and", "for", "are", "but", "not", "you", "your", "yours", "with", "this", "that",
    "these", "those", "from", "our", "ours", "was", "were", "has", "have", "had", "will",
    "would", "can", "could", "its", "they", "them", "their", "there", "here", "what", "when",
    "which", "how", "all", "any", "into", "than", "then", "just", "also", "been", "being",
    "who", "whom", "she", "her", "his", "him", "out", "about", "over", "very",
))
# fmt: on
"""Function words left out of ``kept_share``'s count (words like ``off`` and ``now`` stay in:
in a CRM message they carry the offer and the call to act)."""


def content_words(text: str) -> set[str]:
    """A text's content words: lowercased letter runs of 3+ letters, less ``STOPWORDS``,
    with placeholders (``{first_name}``, ``{{1}}``, ``[link]``, ``*|FNAME|*``) and links
    taken out first."""
    words = _WORD.findall(_PLACEHOLDER.sub(" ", text).casefold())
    return {word for word in words if len(word) >= 3 and word not in STOPWORDS}


def kept_share(original: str, rewrite: str) -> float:
    """The share of the original's distinct content words that the rewrite still has
    (1.0 when the original has none: nothing could be lost)."""
    wanted = content_words(original)
    if not wanted:
        return 1.0
    return len(wanted & content_words(rewrite)) / len(wanted)


def kept_medians(items: Sequence[Item]) -> tuple[float, float]:
    """Median ``kept_share`` of the original in ours, and in the other side, over the items."""
    if not items:
        raise ReadersError("no items")
    ours = [kept_share(item.original.words(), item.ours.words()) for item in items]
    other = [kept_share(item.original.words(), item.other.words()) for item in items]
    return statistics.median(ours), statistics.median(other)


# --- scoring -------------------------------------------------------------------------------


def cohen_kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two readers' labels for the same items: agreement beyond what their
    own label frequencies give by chance. None when undefined (no items, or both readers gave
    one and the same label throughout, so chance agreement is already 1)."""
    if len(first) != len(second):
        raise ValueError(f"{len(first)} labels against {len(second)}")
    n = len(first)
    if n == 0:
        return None
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    labels = set(first) | set(second)
    chance = sum((list(first).count(c) / n) * (list(second).count(c) / n) for c in labels)
    if math.isclose(chance, 1.0):
        return None
    return (observed - chance) / (1 - chance)


def wilson(k: int, n: int) -> tuple[float, float]:
    """95% Wilson interval of a share k of n ((0, 1) with n = 0)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + _Z95**2 / (2 * n)) / (1 + _Z95**2 / n)
    half = _Z95 * math.sqrt(p * (1 - p) / n + _Z95**2 / (4 * n * n)) / (1 + _Z95**2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Share:
    """k of n, with its share and 95% Wilson interval (share None with n = 0)."""

    k: int
    n: int
    share: float | None
    low: float
    high: float

    @classmethod
    def of(cls, k: int, n: int) -> Share:
        """k of n."""
        low, high = wilson(k, n)
        return cls(k, n, k / n if n else None, low, high)


@dataclass(frozen=True)
class ReaderScore:
    """How often one reader preferred ours."""

    reader: str
    ours: Share
    """Items where the reader chose ours, of those they answered."""
    missing: int
    """Items of the key the reader left unanswered."""


@dataclass(frozen=True)
class GroupScore:
    """The figures for a set of items (all, with an offer, or without)."""

    items: int
    readers: list[ReaderScore]
    mean_share: float | None
    """Mean over readers of the share preferring ours (readers who answered any)."""
    all_prefer_ours: Share
    """Items where every reader preferred ours, of the items every reader answered."""
    agreement: float | None
    """Raw agreement between readers (mean over pairs; None with one reader)."""
    kappa: float | None
    """Cohen's kappa on ours/other (mean over pairs with more than two readers)."""


@dataclass(frozen=True)
class Scores:
    """``score``'s result: all items, and the same split by whether the message had an offer."""

    all: GroupScore
    with_offer: GroupScore
    without_offer: GroupScore

    def to_dict(self) -> dict[str, Any]:
        """The figures as plain JSON-ready data."""
        return asdict(self)


def _key_items(key: Mapping[str, Any]) -> dict[str, tuple[Letter, bool]]:
    items = key.get("items")
    if not isinstance(items, Mapping) or not items:
        raise ReadersError("key: no items (is this a key.json from `crmagent readers sheet`?)")
    checked: dict[str, tuple[Letter, bool]] = {}
    for name, entry in items.items():
        ours = entry.get("ours") if isinstance(entry, Mapping) else None
        if ours not in ("A", "B"):
            raise ReadersError(f"key: {name}: ours must be A or B, not {ours!r}")
        checked[name] = (ours, bool(entry.get("offer", False)))
    return checked


def _checked_answers(
    answers: Mapping[str, Any], reader: str, key: Mapping[str, tuple[Letter, bool]]
) -> dict[str, bool]:
    """Item -> whether the reader chose ours; blank or null answers are missing."""
    if not isinstance(answers, Mapping):
        raise ReadersError(f"{reader}: expected a JSON object of item: A or B")
    chose_ours: dict[str, bool] = {}
    for name, answer in answers.items():
        if name not in key:
            raise ReadersError(f"{reader}: {name}: no such item in the key")
        if answer is None or (isinstance(answer, str) and not answer.strip()):
            continue
        letter = answer.strip().upper() if isinstance(answer, str) else None
        if letter not in ("A", "B"):
            raise ReadersError(f"{reader}: {name}: answer {answer!r} is not A or B")
        chose_ours[name] = letter == key[name][0]
    return chose_ours


def _group(
    names: Sequence[str], readers: Sequence[Mapping[str, bool]], items: list[str]
) -> GroupScore:
    scores: list[ReaderScore] = []
    for name, chose in zip(names, readers, strict=True):
        answered = [item for item in items if item in chose]
        k = sum(chose[item] for item in answered)
        scores.append(ReaderScore(name, Share.of(k, len(answered)), len(items) - len(answered)))
    shares = [s.ours.share for s in scores if s.ours.share is not None]
    common = [item for item in items if all(item in chose for chose in readers)]
    unanimous = sum(all(chose[item] for chose in readers) for item in common)
    agreements: list[float] = []
    kappas: list[float] = []
    for first, second in combinations(readers, 2):
        both = [item for item in items if item in first and item in second]
        if not both:
            continue
        a, b = [first[i] for i in both], [second[i] for i in both]
        agreements.append(sum(x == y for x, y in zip(a, b, strict=True)) / len(both))
        kappa = cohen_kappa(a, b)
        if kappa is not None:
            kappas.append(kappa)
    return GroupScore(
        items=len(items),
        readers=scores,
        mean_share=statistics.fmean(shares) if shares else None,
        all_prefer_ours=Share.of(unanimous, len(common)),
        agreement=statistics.fmean(agreements) if agreements else None,
        kappa=statistics.fmean(kappas) if kappas else None,
    )


def score(
    key: Mapping[str, Any],
    answers_list: Sequence[Mapping[str, Any]],
    names: Sequence[str] | None = None,
) -> Scores:
    """Score readers' answers (``{"item-01": "A", ...}``, any case) against a sheet's key.

    ``names`` name the readers in errors and results (default ``reader 1``...). An answer
    that is not A or B, or an item not in the key, is a ``ReadersError`` naming the reader
    and item; an item left out (or blank) is counted as missing. Agreement and kappa are on
    ours-or-other, over the items both readers of a pair answered.
    """
    if not answers_list:
        raise ReadersError("no answers to score")
    given = list(names or [])[: len(answers_list)]
    names = given + [f"reader {i}" for i in range(len(given) + 1, len(answers_list) + 1)]
    items = _key_items(key)
    readers = [_checked_answers(a, n, items) for a, n in zip(answers_list, names, strict=True)]
    everything = list(items)
    return Scores(
        all=_group(names, readers, everything),
        with_offer=_group(names, readers, [i for i in everything if items[i][1]]),
        without_offer=_group(names, readers, [i for i in everything if not items[i][1]]),
    )


def read_json(path: Path) -> Any:
    """A JSON file's content; a file that cannot be read or parsed is a ``ReadersError``."""
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ReadersError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ReadersError(f"{path}: not JSON: {exc.msg} (line {exc.lineno})") from exc


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def _share(share: Share) -> str:
    if share.share is None:
        return f"{share.k} of {share.n}"
    return (
        f"{share.k} of {share.n} ({share.share:.0%}, 95% interval {share.low:.0%}-{share.high:.0%})"
    )


def _group_lines(title: str, group: GroupScore) -> list[str]:
    kappa = "n/a" if group.kappa is None else f"{group.kappa:.2f}"
    lines = [
        f"{title} ({group.items} item(s)): mean share preferring ours "
        f"{_percent(group.mean_share)}; every reader prefers ours on "
        f"{_share(group.all_prefer_ours)}"
    ]
    if len(group.readers) > 1:
        pairs = "" if len(group.readers) == 2 else " (mean over pairs)"
        lines.append(
            f"  agreement between readers {_percent(group.agreement)}, Cohen's kappa {kappa}{pairs}"
        )
    return lines


def describe(scores: Scores) -> str:
    """The figures in a few lines of text, as ``crmagent readers score`` prints them."""
    lines = []
    for reader in scores.all.readers:
        missing = f", {reader.missing} missing" if reader.missing else ""
        lines.append(f"{reader.reader}: ours preferred {_share(reader.ours)}{missing}")
    lines += _group_lines("all items", scores.all)
    lines += _group_lines("with an offer", scores.with_offer)
    lines += _group_lines("without an offer", scores.without_offer)
    return "\n".join(lines)


def write_sheet(folder: Path, markdown: str, key: Mapping[str, Any]) -> tuple[Path, Path]:
    """Write ``sheet.md`` and ``key.json`` into ``folder``. A ``key.json`` already there for
    another sheet is not overwritten (answers may have been collected against it): that is a
    ``ReadersError``; the same sheet again is rewritten as it was."""
    sheet_path, key_path = folder / "sheet.md", folder / "key.json"
    text = json.dumps(key, indent=2) + "\n"
    if key_path.exists():
        try:
            same = json.loads(key_path.read_text(encoding="utf-8")) == json.loads(text)
        except (OSError, json.JSONDecodeError):
            same = False
        if not same:
            raise ReadersError(
                f"{key_path} already holds the key of another sheet; choose another --out "
                "or remove it"
            )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        sheet_path.write_text(markdown, encoding="utf-8")
        key_path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReadersError(f"{folder}: cannot write: {exc.strerror or exc}") from exc
    return sheet_path, key_path


class DirectMessage(BaseModel):
    """A model's message, asked directly."""

    subject: str | None = Field(
        default=None, description="The e-mail subject or push title; null for SMS and IM."
    )
    body: str = Field(description="The message.")


def direct(request: Mapping[str, Any], model: Any, spend: Spend, tries: int = 2) -> Text | None:
    """The message ``model`` writes for one request when asked directly: a plain
    copywriter's brief with the same facts (the original, the offer, the audience), no
    evidence, no plan; None when it gave no answer."""
    channel = request["channel"]
    subject = request.get("original_subject")
    lines = [f"Subject: {subject}" if subject else "", request.get("original_template") or ""]
    original = "\n".join(line for line in lines if line)
    system = DIRECT_SYSTEM.format(
        channel=channel,
        parts=DIRECT_PARTS.get(channel, DIRECT_BODY_ONLY),
        sms=DIRECT_SMS if channel == "sms" else "",
        locale=request.get("locale", "en"),
        untrusted=UNTRUSTED,
    )
    user = DIRECT_USER.format(
        segment=request["segment"],
        offer=offer_words(request.get("voucher")) or DIRECT_NO_OFFER,
        original=original or DIRECT_NO_ORIGINAL,
    )
    answer = ask(model, DirectMessage, system, user, spend=spend, tries=tries)
    return None if answer is None else Text(answer.subject, answer.body)
