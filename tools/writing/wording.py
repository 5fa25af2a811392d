"""Wordings: which words a message opens with, states its offer with and calls to action
with, and what each went with in conversions.

The copy features (``tools.message.features``) say *whether* a message has a call to action; a
wording says *which* one ("Claim it now" or "Shop now"). Customers answer words, not
features, and a merchant's A/B siblings differ in exactly these words, so the same
within-campaign reading that gives the features' lifts gives each wording's: the share of
sends that converted when a campaign's variant used it against its siblings that did not.

Three slots are read, each as a key (lower case, the name and the link left out, numbers
as ``#``) and the words it came from:

- ``opening``: the first sentence, when it is not the offer itself ("We miss you!");
  the key ``""`` is a message that opens with its offer.
- ``offer_verb``: the one word that leads into the offer ("Take", "Save", "Enjoy").
- ``call``: the words before the link ("Grab yours today"), or a short closing line
  where a push has none.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice

import numpy as np

from tools.crm.history import LEARNED, Columns, columns_of, per_text
from tools.crm.store import TemplateRecord
from tools.domain import WordingLift
from tools.message.offers import OFFER_PHRASE
from tools.message.rules import STOP_WORD
from tools.message.text import sentences, tidy
from tools.statistics import joint_lifts, lift_from_log
from tools.writing.writer import LINK, NAME

SLOTS: dict[str, str] = {
    "opening": "opened with",
    "offer_verb": "led into the offer with",
    "call": "called to action with",
}
"""The slots, and how the guidance says a message used one."""
SPREAD = 0.25
"""How far a wording's effect is expected to stray from none (log scale): the prior that
shrinks each reading toward 'no different', so that a wording seen in a few sends moves
the choice little and one seen in thousands moves it much."""
MARGIN = 0.03
"""How much better (log scale, about 3%) a wording must be expected to do than the
merchant's own before the editor changes it: a merchant's words are not churned for less."""
_VAGUE = (0.0, 1.0)
"""A copy feature's prior here: read beside the wordings only so they are not credited
with what it did."""
OFFER_VERBS: dict[str, str] = {
    "save": "on",
    "take": "off",
    "get": "off",
    "enjoy": "off",
    "grab": "off",
    "claim": "off",
    "unlock": "off",
}
"""The verbs an offer may be led into with, each with the word that ties an amount to
what it applies to ("Save $15 on", "Take $15 off"). Only these are swapped for one another."""
AMOUNT_ONLY = frozenset({"save", "take"})
"""Verbs that read only before an amount or a percent ("Take free shipping" does not)."""
_SENDER = re.compile(r"^[A-Z][\w'&.\- ]{0,38}:\s+(?=[^\s{])")
"""A sender's name before the text ("Knix: "), not a call to action before its link."""
_NAME_AROUND = re.compile(rf",?\s*{re.escape(NAME)}\s*,?")
_MERGE = re.compile(r"\{[^{}]*\}|§\d+§")
_WORDS = re.compile(r"[^a-z#]+")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)?")
CALL_VERBS = (
    "shop|buy|order|claim|grab|get|tap|click|discover|explore|see|find|check|book|redeem|"
    "complete|visit|browse|view|reorder|try|pick|finish|continue|unlock|join"
)
"""The verbs a call to action opens with (a regular-expression alternation)."""
_IMPERATIVE = re.compile(rf"(?:{CALL_VERBS})\b", re.IGNORECASE)
"""How a push's closing line calls to action when it has no link to lead into."""
_MAX_CALL_WORDS = 6


@dataclass(frozen=True)
class Read:
    """A slot's wording in one text: its key and the words as written."""

    key: str
    surface: str


def normalise(text: str) -> str:
    """A wording's key: lower case, merge fields out, numbers as #, words only."""
    text = _DIGITS.sub("#", _MERGE.sub(" ", text.lower()))
    return _WORDS.sub(" ", text).strip()


def _opening(first: str) -> Read:
    if OFFER_PHRASE.search(first) or LINK in first or _DIGITS.search(first):
        return Read("", "")
    return Read(normalise(first), tidy(_NAME_AROUND.sub(" ", first)))


def _offer_verb(parts: Sequence[str]) -> Read | None:
    for sentence in parts:
        offer = OFFER_PHRASE.search(sentence)
        if offer is None:
            continue
        lead = _NAME_AROUND.sub(" ", sentence[: offer.start()]).strip(" ,")
        verb = lead.lower()
        return Read(verb, lead) if verb in OFFER_VERBS else None
    return None


def _call(parts: Sequence[str]) -> Read | None:
    linked = next((s for s in parts if LINK in s), None)
    if linked is not None:
        lead = linked.split(LINK, 1)[0].rstrip(" :-\u2013\u2014")
    else:
        closing = [s for s in parts if not STOP_WORD.search(s)]
        last = closing[-1] if len(closing) > 1 else ""
        lead = last.rstrip(".!") if _IMPERATIVE.match(last) else ""
    key = normalise(lead)
    short = 0 < len(key.split()) <= _MAX_CALL_WORDS
    if not short or OFFER_PHRASE.search(lead) or "#" in key:
        return None
    return Read(key, _NAME_AROUND.sub(" ", lead).strip(" ,"))


def read(body: str) -> dict[str, Read]:
    """The slots a text fills, with their wordings."""
    parts = sentences(body.replace("\n", " "))
    if not parts:
        return {}
    parts[0] = _SENDER.sub("", parts[0])
    found = {"opening": _opening(parts[0])}
    verb, call = _offer_verb(parts), _call(parts)
    if verb is not None:
        found["offer_verb"] = verb
    if call is not None:
        found["call"] = call
    return found


def reads_of(record: TemplateRecord) -> dict[str, Read]:
    """A stored template's wordings (``read``), read once per text like its copy features."""
    return per_text("wordings", record, lambda: read(record.text))


@dataclass
class _Seen:
    """Where a wording was seen: its surfaces as written (the first, and the first not in
    capitals), channels, vouchers, and the templates in order with their sends (a dict:
    insertion-ordered and a set at once)."""

    surface: str
    quiet: str | None = None
    merchants: set[str] = field(default_factory=set)
    channels: set[str] = field(default_factory=set)
    vouchers: set[str] = field(default_factory=set)
    ids: dict[str, int] = field(default_factory=dict)
    sends: int = 0

    def add(self, record: TemplateRecord, wording: Read) -> None:
        """One template that used the wording (seen before: counted once)."""
        if record.template_id in self.ids:
            return
        if self.quiet is None and not wording.surface.isupper():
            self.quiet = wording.surface  # as a merchant writes it, not shouted
        self.merchants.add(record.merchant_id)
        self.channels.add(record.channel)
        self.vouchers.add(record.voucher_type)
        self.ids[record.template_id] = record.sends
        self.sends += record.sends


def _seen(records: Sequence[TemplateRecord]) -> dict[tuple[str, str], _Seen]:
    seen: dict[tuple[str, str], _Seen] = {}
    for record in records:
        for slot, wording in reads_of(record).items():
            entry = seen.get((slot, wording.key))
            if entry is None:
                entry = seen[(slot, wording.key)] = _Seen(wording.surface)
            entry.add(record, wording)
    return seen


def _lifts(
    records: Sequence[TemplateRecord],
    columns: Sequence[tuple[str, str]],
    prior: Sequence[tuple[float, float]],
    dispersion: float,
    read: Columns | None = None,
) -> list[tuple[float, float]]:
    """The learned copy features and whether each template uses each of ``columns`` (slot,
    key) read at once within campaigns (``joint_lifts``); ``read`` is ``records`` as
    ``Columns`` where they were built already."""
    where = {column: i for i, column in enumerate(columns, start=len(LEARNED))}
    read = columns_of(records) if read is None else read
    has = np.zeros((len(records), len(LEARNED) + len(where)), dtype=bool)
    has[:, : len(LEARNED)] = read.features
    for row, record in enumerate(records):
        for slot, wording in reads_of(record).items():
            column = where.get((slot, wording.key))
            if column is not None:
                has[row, column] = True
    return joint_lifts(read.campaigns, read.conversions, read.sends, has, prior, dispersion)


@dataclass(frozen=True)
class SegmentReading:
    """A segment's wordings read over all its merchants' templates: every merchant of the
    segment starts from it (``learn``), so a big segment is read once per data version."""

    columns: list[tuple[str, str]]
    """The wordings three templates or more used, as (slot, key)."""
    seen: dict[tuple[str, str], _Seen]
    """Where each column was seen."""
    posterior: list[tuple[float, float]]
    """Each learned feature's, then each column's log lift (mean, variance)."""
    sends: int
    """The segment's sends."""
    dispersion: float
    """How much more the store's data err than their sampling error says."""


def read_segment(
    segment: Sequence[TemplateRecord], dispersion: float = 1.0, read: Columns | None = None
) -> SegmentReading:
    """Every wording and copy feature of a segment's templates read at once within campaigns
    (``tools.statistics.joint_lifts``): a variant's opening is not credited with what its
    call to action did. Each wording's log lift has a normal prior of mean 0 and sd
    ``SPREAD``. ``dispersion`` divides every reading's information by how much more the
    store's data err than their sampling error says (``tools.crm.history.segment_dispersion``):
    read as if exact, the wordings of a segment came out about twice as far apart as the
    effects behind them. A wording two templates or fewer used is left out. Time linear in
    the segment's templates; ``read`` is the segment as ``Columns``, row for row, where the
    history built them already (``tools.crm.history.segment_columns``)."""
    seen = _seen(segment)
    columns = sorted(c for c, entry in seen.items() if len(entry.ids) > 2)
    prior = [_VAGUE] * len(LEARNED) + [(0.0, SPREAD**2)] * len(columns)
    posterior = _lifts(segment, columns, prior, dispersion, read) if columns else []
    return SegmentReading(
        columns, {c: seen[c] for c in columns}, posterior, sum(r.sends for r in segment), dispersion
    )


COMMON = 3
"""Merchants that must have used a wording before another merchant is offered its words: a
phrase in common use, never one shop's own (its name, its club, its code)."""


def learn(
    reading: SegmentReading, own: Sequence[TemplateRecord] = (), spread: float = 0.15
) -> list[WordingLift]:
    """The wordings of a segment (``read_segment``) with their lifts, the most worth first.
    With the merchant's ``own`` templates (group learning), the segment's reading, widened
    by ``spread`` (the between-merchant spread of log lifts), is the prior its own campaigns
    update, read with the segment's dispersion (a merchant's own campaigns are read no more
    exactly than its segment's), and its own texts come first as evidence. A wording the
    merchant has not used is offered only when ``COMMON`` merchants or more have. The work
    is the merchant's own campaigns, not the segment's."""
    columns, posterior = reading.columns, reading.posterior
    if not columns:
        return []
    mine = _seen(own)
    if own:
        widened = [(mean, variance + spread**2) for mean, variance in posterior]
        posterior = _lifts(own, columns, widened, reading.dispersion)
    wordings = []
    for column, (mean, variance) in zip(columns, posterior[len(LEARNED) :], strict=True):
        entry, own_entry = reading.seen[column], mine.get(column, _Seen(""))
        if not own_entry.ids and len(entry.merchants) < COMMON:
            continue  # one or two shops' own words ("Saltwater secret club"): theirs alone
        surface = own_entry.quiet or entry.quiet or own_entry.surface or entry.surface
        sends = entry.sends + sum(n for i, n in own_entry.ids.items() if i not in entry.ids)
        others = (i for i in entry.ids if i not in own_entry.ids)
        evidence = [*islice(own_entry.ids, 10), *islice(others, 10)][:10]
        lift = lift_from_log(mean, math.sqrt(variance), sends, reading.sends - sends)
        wordings.append(
            WordingLift(
                slot=column[0],
                key=column[1],
                surface=surface,
                lift=round(lift.ratio, 4),
                ci_low=round(lift.ci_low, 4),
                ci_high=round(lift.ci_high, 4),
                confidence=round(max(lift.confidence, 1 - lift.confidence), 4),
                sample_size=lift.sample_size,
                channels=sorted(entry.channels | own_entry.channels),
                voucher_types=sorted(entry.vouchers | own_entry.vouchers),
                evidence=evidence,
            )
        )
    wordings.sort(key=lambda w: (abs(worth(w)), w.slot, w.key), reverse=True)
    return wordings


def worth(wording: WordingLift) -> float:
    """What a wording is expected to do to conversion: its log lift (a posterior mean, so
    already shrunk toward none by how little was seen of it)."""
    return math.log(wording.lift)


def value(body: str, wordings: Sequence[WordingLift]) -> float:
    """What the wordings predict for a text: the worth of each wording it uses (only
    differences between texts for one request mean anything)."""
    known: dict[tuple[str, str], WordingLift] = {(w.slot, w.key): w for w in wordings}
    return math.fsum(
        worth(known[(slot, found.key)])
        for slot, found in read(body).items()
        if (slot, found.key) in known
    )


def by_slot(wordings: Sequence[WordingLift]) -> Mapping[str, list[WordingLift]]:
    """The wordings of each slot, the most worth first."""
    slots: dict[str, list[WordingLift]] = defaultdict(list)
    for wording in sorted(wordings, key=worth, reverse=True):
        slots[wording.slot].append(wording)
    return slots
