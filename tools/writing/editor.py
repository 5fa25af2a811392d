"""The grounded editor: improves the merchant's own text instead of replacing it.

A good copywriter keeps the merchant's message (its purpose, product, voice, even its joke)
and fixes what is wrong with it. The editor does the same: the plan's features (what the
evidence or best practice asks for) become edits to the original, each recorded with the
text before and after, the pattern and the evidence behind it; what nothing asks to change
stays as the merchant wrote it. Offer facts, codes and dates are only ever written from the
request, and the message comes back in the merchant's own merge-field syntax.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from tools.domain import (
    CampaignRequest,
    Edit,
    Merchant,
    Pattern,
    Purpose,
    TemplateText,
    Voucher,
    VoucherType,
    WordingLift,
)
from tools.message import merge_fields, purpose
from tools.message.best_practice import practice
from tools.message.channels import LIMITS, body_fits
from tools.message.deadlines import deadline_claims, drop_unsupported
from tools.message.features import (
    FEATURES,
    feature_of,
    has_emoji,
    is_shouting,
    offer_early,
    pattern_weights,
    template_features,
    weighed,
)
from tools.message.offers import (
    OFFER_PHRASE,
    date_phrase,
    money,
    offer_fact_errors,
    offer_phrase,
    stated_facts,
)
from tools.message.rules import OPT_OUT, STOP_WORD, SUBJECTLESS, allowed_sms_segments, with_sender
from tools.message.text import ACRONYMS, sentence_case, sentences, tidy
from tools.writing import wording
from tools.writing.writer import LINK, NAME, QUIET_VOICES, Exemplar, WritePlan, Writer

_PROFANITY = re.compile(
    r"\b(?:f+u+c+k\w*|f\*+c?k\w*|sh[i*]t+(?:ty)?|damn(?:ed|it)?|crap(?:py)?|hell|wtf|"
    r"bitch\w*|ass(?:hole)?s?|bullshit|piss(?:ed)?|bloody)\b",
    re.IGNORECASE,
)
"""Words a merchant's customers should not read in a marketing message."""
_GREETING = re.compile(
    r"^(?P<word>hi|hey|hello|dear|hiya|howdy|yo|greetings)\b(?P<rest>[^.!?,]*?)(?P<end>[,.!?]|$)",
    re.IGNORECASE,
)
_URGENT_ONLY = re.compile(
    r"^(?:hurry|don't wait|do not wait|act fast|act now|quick|last chance)\b[^.!?]*[.!?]*$",
    re.IGNORECASE,
)
_CTA_VERB = re.compile(
    rf"^(?:{wording.CALL_VERBS}|treat|come|use|spend|start|save|reserve)\b[^.!?]{{0,40}}[.!]?$",
    re.IGNORECASE,
)
_URL = re.compile(
    r"\b(?:https?://|www\.)\S+?(?=[.,!?]?(?:\s|$))|\b[a-z][\w-]*\.[a-z][\w-]*\.[a-z][\w/-]*\b|"
    r"\b[a-z][\w-]*\.(?:com|co|io|shop|store|net|org|ly|me)\b(?:/\S*)?",
    re.IGNORECASE,
)
_TYPED_NAME = re.compile(
    r"^((?:Hi|Hey|Hello|Dear|Hiya) )([A-Z][a-z]{2,})\b(?!\s[A-Z])|^()([A-Z][a-z]{2,})(?=, )"
)
_NOT_NAMES = frozenset({"There", "Friend", "Friends", "Everyone", "All", "You", "Again"})
_NOT_NAME_OPENERS = frozenset(
    {"Yes", "Sorry", "Okay", "Well", "Psst", "Hello", "Welcome", "Good", "Thanks", "Today", "Now"}
)
_TOOL_FIELD = ("{{", "{%", "*|", "%")
"""How the merge fields of a sending tool open (Liquid, WhatsApp, Mailchimp, percent)."""
_LAYOUT = re.compile(r"\+|image|thumbnail|photo|picture", re.IGNORECASE)
_NAMED = re.compile(r",\s*(?:§\d+§|\{first_name\})\s*[?!.,]")
_BLANK = re.compile(r"\[[^\[\]\n]{1,40}\]")
"""What is left in square brackets after merge fields are read: a template's blank."""
_LIMITED = re.compile(r"\b(?:selected|select (?:styles|items|products)|up to)\b", re.I)
"""An original that limits its offer: its title does not say "everything"."""
_ASKS_REPLY = re.compile(r"\b(?:reply|hit reply|write back|respond)\b", re.IGNORECASE)
"""A message whose call to action is a reply, not a link."""
_LIST_ITEM = re.compile(r"^(?:[-*•·]|\d+[.)])\s")
"""A line of a list, which a colon before it introduces."""
_THIS_WEEK = re.compile(r"\bthis (?:week|weekend|month)\b|\btonight\b", re.IGNORECASE)
_KIND_CLAUSE = {
    kind: re.compile(rf"\s*(?:\+|&|,|\band\b|\bplus\b|\bwith\b)\s*(?:{phrase})", re.IGNORECASE)
    for kind, phrase in (
        (VoucherType.FREE_SHIPPING, r"free (?:shipping|delivery)"),
        (VoucherType.GIFT, r"a free gift"),
    )
}
"""An extra offer joined to the one the voucher gives, as a clause that can go."""
_MARKUP = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>")
"""A tag of HTML or XML: the message is plain text, and a tag would show as written."""
_COUNTED = re.compile(r"amount|points|number|count|qty|total", re.IGNORECASE)
_LINK_STOP = re.compile(r"(\{link\}|:\s*§\d+§)\.(?=\s|$)")
"""A full stop right after a link."""
_MARKED_LINK = re.compile(r":\s*§\d+§[.!]?(?:\s|$)")
"""A merge field of the merchant's tool where a link goes ("Reorder in one tap: {{3}}")."""
_BUTTON = re.compile(r"\[(?:CTA:\s*)?([A-Z][^\[\]\n]{2,40})\]", re.IGNORECASE)
"""A button's label written into a template ("[Finish my order]", "[CTA: Shop now]")."""
_BRACKET_LINK = re.compile(r"\[[^\]\n]{0,20}(?:link|url)[^\]\n]{0,20}\]", re.IGNORECASE)
_BRACKET_LINK = re.compile(r"\[[^\]\n]{0,20}(?:link|url)[^\]\n]{0,20}\]", re.IGNORECASE)
_GSM_SWAPS = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2014": " - ",
        "\u2013": " - ",
        "\u2026": "...",
    }
)
"""Typographic characters outside GSM-7, which would turn an SMS into UCS-2 (70 characters
a segment), and the plain ones that say the same."""


@dataclass(frozen=True)
class Edited:
    """The edited message (in our placeholders), the edits made, and how the merchant writes
    its merge fields (to write the message back in)."""

    template: TemplateText
    edits: tuple[Edit, ...]
    syntax: merge_fields.MergeSyntax
    kept: tuple[tuple[str, str], ...] = ()
    """Merge fields of the merchant's tool that CRMAgent does not fill ("{{expiry_date}}"),
    each held as a marker ("§1§") while the text is edited, and put back after."""


@dataclass
class _Body:
    """A message as lines of sentences, with the breaks between lines kept."""

    lines: list[list[str]]
    breaks: list[str]

    @classmethod
    def of(cls, text: str) -> _Body:
        parts = re.split(r"(\n+)", text.strip())
        lines = [sentences(p) for p in parts[0::2]]
        return cls(lines, parts[1::2])

    def text(self) -> str:
        out = ""
        for i, line in enumerate(self.lines):
            if not line:
                continue
            if out:
                out += self.breaks[i - 1] if 0 < i <= len(self.breaks) else " "
            out += tidy(" ".join(line))
        return out

    def add_paragraph(self, sentence: str, first: bool = False) -> None:
        """A paragraph of its own, at the end (or the start), as e-mails set them."""
        if first:
            self.lines.insert(0, [sentence])
            self.breaks.insert(0, "\n\n")
        else:
            self.lines.append([sentence])
            self.breaks.append("\n\n")

    def all(self) -> list[tuple[int, int, str]]:
        return [(i, j, s) for i, line in enumerate(self.lines) for j, s in enumerate(line)]

    def find(self, test: re.Pattern[str] | str) -> tuple[int, int, str] | None:
        """The first sentence matching a pattern or holding a string."""
        for i, j, s in self.all():
            if test.search(s) if isinstance(test, re.Pattern) else test in s:
                return i, j, s
        return None

    def put(self, i: int, j: int, sentence: str) -> None:
        if sentence.strip():
            self.lines[i][j] = sentence.strip()
        else:
            del self.lines[i][j]

    def insert_before_close(self, sentence: str) -> None:
        """Before the call to action and the opt-out, or at the end."""
        for i, j, s in reversed(self.all()):
            closing = LINK in s or _MARKED_LINK.search(s) or STOP_WORD.search(s)
            sign_off = not re.search(r"\w", s)  # an emoji (or two) the text ends on
            if not closing and not sign_off and not _CTA_VERB.match(s):
                self.lines[i][j] = _closed(s)
                self.lines[i].insert(j + 1, sentence)
                return
        self.lines[0].insert(0, sentence)

    def insert_after_offer(self, sentence: str) -> None:
        """Right after the sentence that states the offer (a code or an end date belongs to
        it and never comes first), before the opt-out; before the close where none does."""
        found = self.find(OFFER_PHRASE)
        if found is None:
            self.insert_before_close(sentence)
            return
        i, j, offer = found
        if STOP_WORD.search(offer):  # the offer shares its sentence with the opt-out
            self.insert_before_close(sentence)
            return
        self.lines[i][j] = _closed(offer)
        self.lines[i].insert(j + 1, sentence)

    def append(self, sentence: str) -> None:
        """At the very end, after a sentence closed with its mark."""
        if self.all():
            i, j, last = self.all()[-1]
            self.lines[i][j] = _closed(last)
        self.lines[-1].append(sentence)


def _closed(sentence: str) -> str:
    """A sentence that ends with its mark, so that another can follow it."""
    if re.search(r"[.!?:…)\]]$|§$|\}$", sentence) or has_emoji(sentence[-2:]):
        return sentence
    return f"{sentence}."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text and not text.startswith("{") else text


@dataclass
class Editor:
    """Edits one request's original text following a plan."""

    request: CampaignRequest
    merchant: Merchant
    canonical: str | None
    patterns: Sequence[Pattern] = ()
    sender: str = "{shop_name}"
    own: Sequence[Exemplar] = ()
    """The merchant's own best texts in the segment, whose lines group learning may borrow."""
    wordings: Sequence[WordingLift] = ()
    """What the history says of each opening, offer verb and call to action
    (``tools.writing.wording``): a wording that did clearly better replaces the original's."""
    edits: list[Edit] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)
    values: dict[str, str | None] = field(default_factory=dict)
    """What the request fills a template's blanks with, by kind."""

    def __post_init__(self) -> None:
        self.writer = Writer(self.request, self.merchant, self.canonical)
        self.practice = practice(self.canonical, self.request.channel.value)

    # -- recording ------------------------------------------------------------------------

    def _record(self, kind: str, before: str, after: str, feature: str | None = None) -> None:
        pattern = next((p for p in self.patterns if feature and feature_of(p) == feature), None)
        if pattern is not None:
            reason = (
                f"messages whose copy {FEATURES.get(feature or '', feature)} converted "
                f"{pattern.lift:.2f}x as often (n={pattern.sample_size:,} sends, "
                f"{_sure(pattern.confidence)} confident)"
            )
        elif feature in self.practice.use:
            reason = f"best practice: {self.practice.use[feature]}"
        elif feature in self.practice.avoid:
            reason = f"best practice: {self.practice.avoid[feature]}"
        else:
            reason = _REASONS.get(kind, kind.replace("_", " "))
        self.edits.append(
            Edit(
                kind=kind,
                before=before,
                after=after,
                reason=reason,
                pattern=pattern.name if pattern else None,
                evidence=list(pattern.evidence[:3]) if pattern else [],
            )
        )

    def _fix(self, body: _Body, kind: str, fix: object, feature: str | None = None) -> None:
        """Apply a sentence-level fix (a function of a sentence) everywhere, recording each
        sentence it changed."""
        assert callable(fix)
        for i, j, s in body.all()[::-1]:
            fixed = tidy(str(fix(s)))
            if fixed != s:
                body.put(i, j, fixed)
                self._record(kind, s, fixed, feature)

    # -- the edits ----------------------------------------------------------------------------

    def edit(self, plan: WritePlan) -> Edited:
        """The original edited to the plan, within the channel's limits."""
        original = self.request.original_template or ""
        plain = tidy(_MARKUP.sub(" ", original)) if _MARKUP.search(original) else original
        if plain != original:
            self._record("markup", original, plain)
        parsed = merge_fields.to_ours(plain)
        text = self._resolve(parsed)
        body = _Body.of(text)
        if not body.all():
            body = _Body.of(self.writer.offer_line())
            self._record("template_choice", text, body.text())
        sender = self._unsend(body)
        use = set(plan.use) - plan.avoid
        self._fix(body, "link", lambda s: _URL.sub(LINK, s))
        self._fix(body, "personalised", _typed_name)
        if self.merchant.brand_voice in QUIET_VOICES:
            use.discard("emoji")
        self._fix(body, "profanity", self._clean_language)
        self._fix(body, "shouting", self._calm, "shouting")
        self._fix(body, "offer_facts", self._true_offer)
        self._fix(body, "false_urgency", self._true_deadline)
        if "urgency" in plan.avoid and self._evidence("urgency", helps=False):
            self._fix(body, "urgency", lambda s: "" if _URGENT_ONLY.match(s) else s, "urgency")
        if "emoji" in plan.avoid and self._evidence("emoji", helps=False):
            self._fix(body, "emoji", _no_emoji, "emoji")
        if "personalised" in plan.avoid:
            self._fix(body, "personalised", _no_name, "personalised")
        self._offer(body, use)
        self._reword_opening(body)
        self._reword_offer_verb(body)
        if "personalised" in use and NAME not in body.text():
            self._greet(body)
        code = self.request.voucher.code if self.request.voucher else None
        if code and "code_stated" not in plan.avoid and code not in body.text():
            line = self.writer.code_line(code)
            body.insert_after_offer(line)
            self._record("code_stated", "", line, "code_stated")
        expires = self.request.voucher.expires if self.request.voucher else None
        text = body.text()
        dated = bool(stated_facts(text).dates or deadline_claims(text) or _THIS_WEEK.search(text))
        if "urgency" in use and expires and not dated and not _has(body.text(), "urgency", self):
            self._deadline(body, date_phrase(expires))
        self._borrow(body, use)
        head = body.all()[0][2] if body.all() else LINK
        linkless = LINK not in head and not _MARKED_LINK.search(head)
        if (
            "emoji" in use
            and not has_emoji(body.text())
            and self.request.channel != "sms"
            and linkless
        ):
            i, j, s = body.all()[0]
            emoji = _PURPOSE_EMOJI[purpose.purpose_of(self.request, self.canonical)]
            body.put(i, j, f"{s} {emoji}")
            self._record("emoji", s, f"{s} {emoji}", "emoji")
        self._call_to_action(body)
        self._reword_call(body)
        if sender and body.all():
            i, j, first = body.all()[0]
            body.put(i, j, f"{sender}{first}")
        self._sms(body)
        self._finish(body)
        self._fit(body, plan)
        if "personalised" in use and NAME not in body.text():
            # The merchant's line with the name made way for the channel's limit: the name
            # goes into the first line instead, if it fits there.
            lines, breaks, made = (
                [list(line) for line in body.lines],
                list(body.breaks),
                len(self.edits),
            )
            self._greet(body)
            segments = allowed_sms_segments(
                plan.sms_segments, self.request.original_template, self.sender
            )
            if not body_fits(self.request.channel.value, body.text(), segments):
                body.lines, body.breaks, self.edits[made:] = lines, breaks, []
        subject = self._subject(body)
        own = self._hold(merge_fields.to_ours(self.request.original_subject or ""))
        if subject and self.request.channel.value == "email" and _same(subject, own):
            self._unrepeat(body, subject)
        return Edited(
            TemplateText(subject=subject, preheader=self._preheader(), body=body.text()),
            tuple(self.edits),
            _merchant_syntax(parsed.syntax, original),
            tuple(self.kept.items()),
        )

    def _deadline(self, body: _Body, when: str) -> None:
        """The voucher's end date, as part of the offer where its sentence is short and ends
        plainly ("Take 15% off your cart until Dec 31."), else a sentence of its own right
        after the offer: never before it."""
        found = body.find(OFFER_PHRASE)
        if found is not None:
            i, j, sentence = found
            plain = sentence.endswith(".") and LINK not in sentence and ":" not in sentence
            if plain and len(sentence) <= 70:
                dated = f"{sentence[:-1]} until {when}."
                body.put(i, j, dated)
                self._record("urgency", sentence, dated, "urgency")
                return
        line = f"Ends {when}."
        body.insert_after_offer(line)
        self._record("urgency", "", line, "urgency")

    def _unsend(self, body: _Body) -> str:
        """Take the sender's name off every sentence that opens with it ("Knix: ..."), so
        that no edit puts a line before it and none repeats it mid-text; returns the first
        such prefix as the merchant wrote it, which goes back in front, once, when the
        editing is done (an SMS that had none gets the sender from ``_sms``)."""
        opener = re.compile(rf"(?:From )?{re.escape(self.sender)}:\s+", re.IGNORECASE)
        found = ""
        for i, j, sentence in body.all()[::-1]:
            prefix = opener.match(sentence)
            if prefix is None or not sentence[prefix.end() :].strip():
                continue
            if (i, j) != (0, 0):
                self._record("sender", sentence, sentence[prefix.end() :])
            found = prefix.group(0) if (i, j) == (0, 0) else found
            body.put(i, j, sentence[prefix.end() :])
        return found

    def _resolve(self, parsed: merge_fields.Parsed) -> str:
        """The merchant's placeholders in ours; a template choice left open ("[discount /
        free shipping]") filled from the request, or its sentence dropped: it never ships."""
        original = self.request.original_template or ""
        if parsed.text != original and parsed.syntax.family == "brackets":
            self._record("merge_fields", original, parsed.text)
        voucher = self.request.voucher
        values: dict[str, str | None] = {
            "offer": _offer_value(voucher) if voucher else None,
            "code": voucher.code if voucher else None,
            # A product merge field the request cannot fill ("{{product_name}} is back in
            # stock") reads as the customer's own pick.
            "product": self.request.product_name or "your favourite",
            "shop_name": self.sender if not self.sender.startswith("{") else None,
            "date": date_phrase(voucher.expires) if voucher and voucher.expires else None,
        }
        self.values = values
        text = self._hold(parsed)
        before = _BRACKET_LINK.sub(LINK, text)
        text, unfilled = merge_fields.fill(before, values)
        if text != before:  # only where a blank was filled: the merchant's own text stays
            text = _smooth(text)
        if text != parsed.text:
            self._record("template_choice", parsed.text, text)
        for found in _BUTTON.finditer(text):
            label = found.group(1).strip()
            if LINK in text or _LAYOUT.search(label) or not _CTA_VERB.match(label):
                continue
            # A button's label written into the template: the call to action, with the link.
            button = f"{label[:1]}{label[1:].lower()}: {LINK}"
            self._record("cta", found.group(0), button, "cta")
            text = text.replace(found.group(0), button, 1)
        text = _THING.sub(_thing, text)
        body = _Body.of(text)
        blanks = [slot.token for slot in unfilled if slot.token in text]
        for i, j, sentence in body.all()[::-1]:
            for blank in [*blanks, *_BLANK.findall(sentence)]:
                if blank not in sentence:
                    continue
                # A code the voucher does not have: the code goes, the sentence stays
                # ("Here's $10 off your first order: [code]").
                bare = tidy(re.sub(_lead_in(blank), "", sentence)).rstrip(" :,-")
                if not OFFER_PHRASE.search(bare) or bare == sentence:
                    bare = ""
                body.put(i, j, bare)
                self._record("template_choice", sentence, bare)
                break
        return body.text()

    def _paragraphs(self) -> bool:
        """Whether the message is set in paragraphs (an e-mail, or an original with them)."""
        original = self.request.original_template or ""
        return self.request.channel.value == "email" or "\n\n" in original

    def _value(self, text: str) -> float:
        """What the patterns predict for a text: the log lifts of the features it carries,
        each weighed by how sure its pattern is, and the worth of its wordings (only
        differences mean anything)."""
        features = weighed(TemplateText(body=text), self.request, pattern_weights(self.patterns))
        return features + wording.value(text, self.wordings)

    def _evidence(self, feature: str, *, helps: bool) -> bool:
        """Whether a pattern of the merchant's or the segment's data backs acting on a
        feature (best practice alone leaves the merchant's own sentences as they are)."""
        return any(feature_of(p) == feature and (p.lift > 1) == helps for p in self.patterns)

    def _hold(self, parsed: merge_fields.Parsed) -> str:
        """The parsed text with each merge field of the merchant's tool that CRMAgent does
        not fill ("{{expiry_date}}", its unsubscribe tag) held as a marker, to be put back
        as it was; an e-mail builder's block ("[Product image + name + price]") left out."""
        text = parsed.text
        held = {token: marker for marker, token in self.kept.items()}
        # What the request can say is written in ("use code {{1}}" with the voucher's code);
        # the rest stays for the merchant's tool to fill.
        tokens = [
            s.token
            for s in parsed.unresolved
            if s.token.startswith(_TOOL_FIELD)
            and (
                s.kind in {"product", "shop_name", "unknown"}
                or not self.values.get(s.kind)
                or _COUNTED.search(s.token)  # "{{points_amount}}" is a number, not an offer
            )
        ]
        for token in [*tokens, *([parsed.opt_out] if parsed.opt_out else [])]:
            if token not in held:
                held[token] = f"§{len(self.kept) + 1}§"
                self.kept[held[token]] = token
            text = text.replace(token, held[token])
        for slot in parsed.unresolved:
            if not slot.token.startswith(_TOOL_FIELD) and _LAYOUT.search(slot.token):
                text = text.replace(slot.token, "")
        return text

    def _clean_language(self, sentence: str) -> str:
        if not _PROFANITY.search(sentence):
            return sentence
        cleaned = tidy(_PROFANITY.sub("", sentence))
        cleaned = re.sub(r"^[,;:\s]+", "", cleaned)
        return "" if len(cleaned.split()) < 3 else _capital(cleaned)

    def _calm(self, sentence: str) -> str:
        code = self.request.voucher.code if self.request.voucher else None
        words = re.findall(r"[A-Za-z]{3,}", sentence.replace(code or "\0", ""))
        loud = sum(w.isupper() and w not in ACRONYMS for w in words)
        alone = len(words) == 1 and loud == 1 and len(words[0]) > 3  # "SALE!"
        if (
            not is_shouting(sentence, code)
            and not (loud >= 2 and loud * 2 >= len(words))
            and not alone
        ):
            return sentence
        return re.sub(r"!{2,}", "!", sentence_case(sentence))

    def _true_offer(self, sentence: str) -> str:
        """A sentence whose offer facts the voucher does not back: its numbers, code and
        date written from the voucher, or, where that cannot make it true, left out."""
        voucher = self.request.voucher
        if not offer_fact_errors(sentence, voucher):
            return sentence
        if voucher is None:
            return ""
        facts, fixed = stated_facts(sentence), sentence
        if voucher.type is VoucherType.PERCENT_OFF:
            for p in facts.percents - {voucher.value}:
                fixed = re.sub(rf"\b{p:g}\s?%", f"{voucher.value:g}%", fixed)
        wrong = sorted(facts.amounts - {voucher.value, voucher.min_spend})
        if voucher.type in {VoucherType.AMOUNT_OFF, VoucherType.THRESHOLD}:
            for amount in wrong:
                fixed = fixed.replace(money(amount), money(voucher.value))
        elif voucher.min_spend is not None and len(wrong) == 1:
            fixed = fixed.replace(money(wrong[0]), money(voucher.min_spend))  # "over $40"
        for code in facts.codes - {voucher.code}:
            fixed = fixed.replace(code, voucher.code or "")
        if voucher.expires is not None:
            for month, day in facts.dates:
                if (month, day) != (voucher.expires.month, voucher.expires.day):
                    fixed = re.sub(
                        r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}"
                        r"(?:st|nd|rd|th)?\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b",
                        date_phrase(voucher.expires),
                        fixed,
                        flags=re.IGNORECASE,
                    )
        for kind in facts.kinds - {voucher.type}:
            # An offer the voucher does not give, joined to one it does ("15% off + free
            # shipping"): the extra goes, the rest stays.
            extra = _KIND_CLAUSE.get(kind)
            if extra is not None:
                fixed = tidy(extra.sub("", fixed))
        return fixed if not offer_fact_errors(fixed, voucher) else ""

    def _true_deadline(self, sentence: str) -> str:
        if self.request.voucher is None:
            return sentence  # the merchant's own deadline (points expire), not an offer's
        expires = self.request.voucher.expires
        kept, _ = drop_unsupported(sentence, expires, self._sending())
        return kept

    def _sending(self) -> date:
        return self.request.send_date or date.today()

    def _offer(self, body: _Body, use: set[str]) -> None:
        """State the offer where the text does not, and lead with it where evidence asks."""
        if self.request.voucher is None:
            return
        found = body.find(OFFER_PHRASE)
        if found is None:
            line = self.writer.offer_line()
            vague = body.find(re.compile(r"\bgreat deals|\bbig savings|\bdeals\b", re.I))
            if vague is not None:
                body.put(vague[0], vague[1], line)
                self._record("vague_offer", vague[2], line, "vague_offer")
            else:
                lead = body.lines[0][0] if body.lines and body.lines[0] else ""
                opening = bool(lead) and (len(lead) <= 40 or "offer_early" not in use)
                at = 1 if opening else 0  # the sender is off the text while it is edited
                body.lines[0].insert(min(at, len(body.lines[0])), line)
                self._record("offer_stated", "", line, "offer_stated")
            found = body.find(OFFER_PHRASE)
        evidence = any(feature_of(p) == "offer_early" and p.lift > 1 for p in self.patterns)
        if found is None or not evidence or "offer_early" not in use or offer_early(body.text()):
            return
        # Only a short opening gives way, so the message still reads in its own order.
        i, j, s = found
        match = OFFER_PHRASE.search(s)
        head = body.all()[0][2]
        if (i, j) != (0, 1) or match is None or match.end() > 40 or len(head) > 40:
            return
        body.lines[0][0], body.lines[0][1] = s, head
        self._record("offer_early", f"{head} {s}", f"{s} {head}", "offer_early")

    def _greet(self, body: _Body) -> None:
        if not body.all():
            return
        i, j, whole = body.all()[0]
        prefix = f"{self.sender}: " if whole.startswith(f"{self.sender}: ") else ""
        first = whole[len(prefix) :]
        if first.startswith(("§", "{")) or _NAMED.search(first):
            return  # opens with a merge field, or greets by one already ("a refill, {{1}}?")
        match = _GREETING.match(first)
        if match:
            rest = match.group("rest").strip()
            drop = {"there", "friend", "friends", "customer", "valued customer", "everyone"}
            if rest and rest.lower().strip(" ,") not in drop:
                return  # greets someone already ("Hi Sam")
            end = match.group("end") or ","
            greeted = f"{match.group('word')} {NAME}{end}{first[match.end() :]}"
        elif self.request.channel.value == "email" and not prefix:
            body.add_paragraph(f"Hi {NAME},", first=True)
            self._record("personalised", "", f"Hi {NAME},", "personalised")
            return
        elif first[:1].isdigit() or first[:1] in "$€£":
            greeted = f"{NAME}, {first}"
        else:
            lead = first if first.split(" ", 1)[0].isupper() else first[:1].lower() + first[1:]
            greeted = f"{NAME}, {lead}"
        body.put(i, j, prefix + greeted)
        self._record("personalised", whole, prefix + greeted, "personalised")

    def _borrow(self, body: _Body, use: set[str]) -> None:
        """Group learning: a social-proof or exclusivity line from the merchant's own best
        texts, where the evidence asks for it and the text lacks it (its own words, true of
        its shop)."""
        text = body.text()
        for exemplar in self.own:
            lines = self.writer.own_lines(exemplar)
            for feature in ("social_proof", "exclusivity"):
                line = lines.get(feature)
                asked = feature in use and self._evidence(feature, helps=True)
                if asked and line and line not in text and not _has(text, feature, self):
                    body.insert_before_close(line)
                    self._record("borrowed_line", "", line, feature)
                    text = body.text()

    # -- wordings -----------------------------------------------------------------------------

    def _better_wording(self, slot: str, current: str | None) -> WordingLift | None:
        """The wording of ``slot`` this campaign's channel (and offer) has seen that the
        history says beats the ``current`` one by at least ``wording.MARGIN``."""
        voucher = self.request.voucher
        kind = voucher.type.value if voucher else None
        ranked = wording.by_slot(self.wordings).get(slot, [])
        fits = [
            w
            for w in ranked
            if self.request.channel.value in w.channels
            and (slot != "offer_verb" or (kind in w.voucher_types and _verb_fits(w.key, kind)))
        ]
        if not fits:
            return None
        known = {w.key: wording.worth(w) for w in ranked}
        now = known.get(current, 0.0) if current is not None else 0.0
        best = fits[0]
        return best if best.key != current and wording.worth(best) - now > wording.MARGIN else None

    def _reworded(self, wording_: WordingLift, before: str, after: str) -> None:
        self.edits.append(
            Edit(
                kind="wording",
                before=before,
                after=after,
                reason=(
                    f"messages that {wording.SLOTS[wording_.slot]} "
                    f'"{wording_.surface or "the offer itself"}" converted '
                    f"{wording_.lift:.2f}x as often as their A/B siblings that did not "
                    f"(90% interval {wording_.ci_low:.2f}-{wording_.ci_high:.2f})"
                ),
                pattern=f"wording:{wording_.slot}",
                evidence=list(wording_.evidence[:3]),
            )
        )

    def _reword_opening(self, body: _Body) -> None:
        """The opening the history favours: a hook in place of another, a hook before an
        offer that opened the text, or the offer first where hooks did worse."""
        if not self.wordings or len(body.all()) < 2:
            return
        i, j, first = body.all()[0]  # the sender is off the text while it is edited
        current = wording.read(first)["opening"]
        better = self._better_wording("opening", current.key)
        if better is None:
            return
        if current.key and better.key:  # a hook for a hook
            after = _with_name(better.surface, NAME in first)
        elif better.key:  # a hook before the offer the text opened with
            after = f"{better.surface} {first}"
        elif NAME in first:
            return  # the hook carries the name: it stays
        else:  # the offer first: the hook goes
            after = ""
        body.put(i, j, after)
        self._reworded(better, first, after)

    def _reword_offer_verb(self, body: _Body) -> None:
        """The verb into the offer the history favours ("Take $15 off" for "Save $15 on")."""
        if not self.wordings:
            return
        found = body.find(OFFER_PHRASE)
        if found is None:
            return
        i, j, sentence = found
        current = wording.read(sentence).get("offer_verb")
        if current is None:
            return
        better = self._better_wording("offer_verb", current.key)
        if better is None:
            return
        after = _swap_verb(sentence, current.surface, better.key)
        if after != sentence:
            body.put(i, j, after)
            self._reworded(better, sentence, after)

    def _reword_call(self, body: _Body) -> None:
        """The call to action's words the history favours, before the same link."""
        if not self.wordings:
            return
        found = body.find(LINK)
        if found is None:
            return
        i, j, sentence = found
        current = wording.read(body.text()).get("call")
        better = self._better_wording("call", current.key if current else None)
        if better is None:
            return
        lead, rest = sentence.split(LINK, 1)
        call = f"{better.surface}: {LINK}{rest}"
        if current is not None:
            body.put(i, j, call)
        else:
            lead = lead.rstrip(" :-\u2013\u2014")
            call = f"{_closed(lead)} {call}" if lead else call
            body.put(i, j, call)
        self._reworded(better, sentence, call)

    def _call_to_action(self, body: _Body) -> None:
        if LINK in body.text() or _MARKED_LINK.search(body.text()):
            return
        if any(_ASKS_REPLY.search(s) and not STOP_WORD.search(s) for _, _, s in body.all()):
            return  # the merchant asks for a reply: that is the call to action
        if self.request.channel.value == "push":
            # A tap opens the notification's link: the call to action says what to tap for.
            if not _has(body.text(), "cta", self):
                line = _PUSH_CTA[purpose.purpose_of(self.request, self.canonical)]
                body.append(line)
                self._record("cta", "", line, "cta")
            return
        for i, j, s in reversed(body.all()):
            if _CTA_VERB.match(s) and not STOP_WORD.search(s):
                after = f"{s.rstrip('.!')}: {LINK}"
                body.put(i, j, after)
                self._record("cta", s, after, "cta")
                return
        line = _PURPOSE_CTA[purpose.purpose_of(self.request, self.canonical)]
        if self._paragraphs():
            body.add_paragraph(line)
        else:
            body.insert_before_close(line)
        self._record("cta", "", line, "cta")

    def _unrepeat(self, body: _Body, subject: str) -> None:
        """An e-mail whose first line says what its subject already said loses the line."""

        for i, j, sentence in body.all()[:3]:
            if _GREETING.match(sentence) and sentence.endswith(","):
                continue
            if _same(sentence, subject) and len(body.all()) > 2:
                body.put(i, j, "")
                self._record("subject", sentence, "")
            return

    def _finish(self, body: _Body) -> None:
        """Every line closes with its mark, and no full stop clings to a link (a tap on
        "{link}." can open the wrong page)."""
        for line in body.lines:
            if not line:
                continue
            last = line[-1]
            fixed = _LINK_STOP.sub(r"\1", last)
            if not _GREETING.match(fixed) and re.search(r"[A-Za-z0-9]$|[^:]\s§\d+§$", fixed):
                fixed = f"{fixed}."
            if fixed != last:
                line[-1] = fixed
        for i, j, sentence in body.all():
            fixed = _LINK_STOP.sub(r"\1", sentence)
            last_of_line = j == len(body.lines[i]) - 1
            following = next((line for line in body.lines[i + 1 :] if line), [])
            listed = bool(following) and bool(_LIST_ITEM.match(following[0]))
            if last_of_line and fixed.endswith(":") and not listed:
                fixed = f"{fixed[:-1]}."  # what it introduced is gone (a product list)
            if fixed != sentence:
                body.put(i, j, fixed)

    def _sms(self, body: _Body) -> None:
        if self.request.channel != "sms":
            return
        before = body.text()
        if not STOP_WORD.search(before):
            body.append(OPT_OUT)
            self._record("opt_out", "", OPT_OUT)
        i, j, first = body.all()[0]
        named = with_sender(first, self.sender)
        if named != first:
            body.put(i, j, named)
            self._record("sender", first, named)

    def _fit(self, body: _Body, plan: WritePlan) -> None:
        """Within the channel's limit (and, where evidence says long copy loses, its sweet
        spot): the sentences that carry nothing go first, from the end."""
        channel = self.request.channel.value
        segments = allowed_sms_segments(
            plan.sms_segments, self.request.original_template, self.sender
        )
        long_evidence = any(feature_of(p) == "long_copy" and p.lift < 1 for p in self.patterns)
        limit = LIMITS[channel].ideal_body_chars[1] if long_evidence else None

        def fits() -> bool:
            text = body.text()
            if not body_fits(channel, text, segments):
                return False
            return limit is None or len(text) <= limit

        if channel == "sms" and not body_fits(channel, body.text(), plan.sms_segments):
            # What costs a segment without saying anything goes first, even within the
            # merchant's own length: curly quotes and emoji turn an SMS into UCS-2.
            self._fix(body, "gsm", lambda s: s.translate(_GSM_SWAPS))
            if not body_fits(channel, body.text(), plan.sms_segments) and has_emoji(body.text()):
                self._fix(body, "gsm", _no_emoji)
        # Then whole sentences, the one whose loss costs least by the patterns first (a
        # sentence carrying nothing the evidence values, the longest of those); never the
        # offer, the code, the link or the opt-out.
        code = self.request.voucher.code if self.request.voucher else None
        prefix = f"{self.sender}: "
        while not fits():
            now = self._value(body.text())
            options = []
            for i, j, sentence in body.all():
                if (
                    OFFER_PHRASE.search(sentence)
                    or LINK in sentence
                    or STOP_WORD.search(sentence)
                    or (code and code in sentence)
                    or sentence == prefix.strip()
                ):
                    continue
                trial = _Body([list(line) for line in body.lines], list(body.breaks))
                _drop(trial, i, j, prefix)
                options.append((now - self._value(trial.text()), -len(sentence), i, j, sentence))
            if not options:
                break
            _, _, i, j, sentence = min(options)
            _drop(body, i, j, prefix)
            self._record("shorten", sentence, "", "long_copy" if long_evidence else None)
        for i, j, s in body.all():
            if not fits() and LINK in s and s != LINK and not OFFER_PHRASE.search(s):
                body.put(i, j, LINK)
                self._record("shorten", s, LINK)
        if not fits() and has_emoji(body.text()):
            self._fix(body, "emoji", _no_emoji)
        for i, j, sentence in body.all()[::-1]:
            # Last, the code (the link can carry it) and then the name give way.
            if not fits() and code and code in sentence and not OFFER_PHRASE.search(sentence):
                _drop(body, i, j, prefix)
                self._record("shorten", sentence, "")
        if not fits() and NAME in body.text():
            self._fix(body, "shorten", _no_name)

    def _held_to_rules(self, line: str) -> str:
        """A subject or preheader the merchant wrote, held to every rule the body is: calm,
        true to the voucher, no deadline it lacks, no blank left unfilled ('' then)."""
        held = self._hold(merge_fields.to_ours(line))
        parsed = _smooth(merge_fields.fill(held, self.values)[0])
        cleaned = tidy(self._true_deadline(self._true_offer(self._calm(parsed))))
        return "" if _BLANK.search(cleaned) else cleaned  # a blank never ships

    def _preheader(self) -> str | None:
        """The merchant's preheader, in an e-mail only."""
        original = self.request.original_preheader
        if not original:
            return None
        preheader = self._held_to_rules(original) if self.request.channel == "email" else ""
        if preheader != original:
            self._record("subject", original, preheader)
        return preheader or None

    def _subject(self, body: _Body) -> str | None:
        channel = self.request.channel.value
        original = self.request.original_subject
        if channel in SUBJECTLESS:
            if original:
                self._record("subject", original, "")
            return None
        limit = LIMITS[channel].subject_chars or 50
        if original:
            subject = self._held_to_rules(original)
            if subject != original:
                self._record("subject", original, subject)
            if subject and len(subject) <= limit:
                return subject
        voucher = self.request.voucher
        if channel != "email" and voucher is None:
            return None  # a push title is the merchant's choice; the body says it all
        offer = [_offer_subject(voucher, self.request)] if voucher else []
        code = voucher.code if voucher else None
        opening = next(
            (
                s
                for _, _, s in body.all()
                # A line of its own for the code or the link is no hook for a title.
                if not _GREETING.match(s)
                and NAME not in s
                and LINK not in s
                and not (code and code in s)
            ),
            "",
        ).rstrip(".!:")
        hook = [f"{opening}: {offer[0][:1].lower()}{offer[0][1:]}"] if offer and opening else []
        options = [*hook, *offer] if channel == "email" else offer
        options += [opening] if channel == "email" else []
        for option in options:
            option = _capital(option)
            if len(option) <= limit and not offer_fact_errors(option, voucher):
                self._record("subject", original or "", option)
                return option
        return None


_PURPOSE_EMOJI = {
    Purpose.PROMOTION: "🛍️",
    Purpose.BACK_IN_STOCK: "🎉",
    Purpose.NEW_ARRIVALS: "✨",
    Purpose.PRICE_DROP: "🏷️",
    Purpose.CART_REMINDER: "🛒",
    Purpose.LOYALTY: "⭐",
    Purpose.BIRTHDAY: "🎂",
    Purpose.WINBACK: "👋",
    Purpose.ANNOUNCEMENT: "📣",
}
"""The emoji a message gets where the evidence asks for one, by what it is for."""

_PUSH_CTA = {
    Purpose.PROMOTION: "Tap to shop now.",
    Purpose.BACK_IN_STOCK: "Tap to get yours.",
    Purpose.NEW_ARRIVALS: "Tap to see what's new.",
    Purpose.PRICE_DROP: "Tap to shop now.",
    Purpose.CART_REMINDER: "Tap to complete your order.",
    Purpose.LOYALTY: "Tap to see your rewards.",
    Purpose.BIRTHDAY: "Tap to treat yourself.",
    Purpose.WINBACK: "Tap to see what's new.",
    Purpose.ANNOUNCEMENT: "Tap to find out more.",
}
"""A push notification's call to action: the tap opens the link."""

_PURPOSE_CTA = {
    Purpose.PROMOTION: f"Shop now: {LINK}",
    Purpose.BACK_IN_STOCK: f"Shop it now: {LINK}",
    Purpose.NEW_ARRIVALS: f"See what's new: {LINK}",
    Purpose.PRICE_DROP: f"Shop now: {LINK}",
    Purpose.CART_REMINDER: f"Complete your order: {LINK}",
    Purpose.LOYALTY: f"See your rewards: {LINK}",
    Purpose.BIRTHDAY: f"Treat yourself: {LINK}",
    Purpose.WINBACK: f"See what's new: {LINK}",
    Purpose.ANNOUNCEMENT: f"Find out more: {LINK}",
}
"""The call to action a message without one gets, by what it is for."""

_REASONS = {
    "profanity": "profanity costs trust with customers who did not ask for it",
    "shouting": "capitals and '!!!' read as spam",
    "offer_facts": "every offer fact must match the voucher: it is what the customer is owed",
    "false_urgency": "a deadline the voucher does not have is a false promise",
    "merge_fields": "a template library's placeholder your sending tool will not fill; "
    "written as a working merge field",
    "template_choice": "the template left this for you to fill; filled from the request, or "
    "left out where the request does not say it",
    "opt_out": "carriers require an SMS to say how to opt out",
    "sender": "carriers require an SMS to name its sender first",
    "subject": "only e-mail has a subject and push a title; the subject is held to every "
    "rule the body is, and the body does not repeat it",
    "cta": "one clear call to action with the link tells the customer what to do",
    "shorten": "the message must fit the channel",
    "markup": "the message is sent as plain text, where a tag would show as written",
}


def _has(text: str, feature: str, editor: Editor) -> bool:
    return template_features(TemplateText(body=text), editor.request).get(feature, False)


def _with_name(sentence: str, named: bool) -> str:
    """A hook greeting the customer by name where the one it replaces did."""
    if not named:
        return sentence
    words, mark = re.fullmatch(r"(.*?)([.!?]*)", sentence).groups()  # type: ignore[union-attr]
    return f"{words}, {NAME}{mark or '!'}"


def _verb_fits(verb: str, kind: str | None) -> bool:
    """Whether a verb reads before this kind of offer ("Take" before an amount only)."""
    amount = kind in (
        VoucherType.PERCENT_OFF.value,
        VoucherType.AMOUNT_OFF.value,
        VoucherType.THRESHOLD.value,
    )
    return verb in wording.OFFER_VERBS and (amount or verb not in wording.AMOUNT_ONLY)


def _swap_verb(sentence: str, old: str, new: str) -> str:
    """The offer's sentence led in with another verb, the amount tied to what it applies to
    as that verb wants ("Save $15 on" -> "Take $15 off")."""
    at = sentence.find(old)
    if at < 0:
        return sentence
    word = new.upper() if old.isupper() else new.capitalize() if old[:1].isupper() else new
    out = sentence[:at] + word + sentence[at + len(old) :]
    offer = OFFER_PHRASE.search(out, at)
    if offer and re.search(r"\d", offer.group()):
        tie = wording.OFFER_VERBS[new]
        rest = re.sub(r"^(\s+)(?:on|off)\b", rf"\g<1>{tie}", out[offer.end() :], count=1)
        out = out[: offer.end()] + rest
    return out


def _merchant_syntax(syntax: merge_fields.MergeSyntax, original: str) -> merge_fields.MergeSyntax:
    """How the result writes its merge fields: the merchant's own style, except a template
    library's brackets ("[First name]"), which no sending tool fills; a WhatsApp field the
    original did not have takes a number after the template's own."""
    if syntax.family == "brackets":
        return merge_fields.MergeSyntax()
    if syntax.family != "whatsapp":
        return syntax
    used = [int(n) for n in re.findall(r"\{\{\s*(\d+)\s*\}\}", original)]
    written = dict(syntax.written)
    for field_name in merge_fields.FIELDS:
        if field_name not in written:
            used.append(max(used, default=0) + 1)
            written[field_name] = f"{{{{{used[-1]}}}}}"
    return merge_fields.MergeSyntax(family="whatsapp", written=tuple(written.items()))


_THING = re.compile(
    r"(\b(?:your|the|my)\s+)?\[(?:[^\[\]\n]{0,20}\s)?(purchase|product|item)(?:\s[^\[\]\n]{0,20})?\]",
    re.IGNORECASE,
)
"""A blank that names the customer's own product ("your [last purchase]", "[Product]")."""


def _thing(match: re.Match[str]) -> str:
    if _LAYOUT.search(match.group(0)):
        return ""  # an e-mail builder's block ("[Product image + name + price]"), not copy
    word = "last purchase" if match.group(2).lower() == "purchase" else "favourite"
    return f"{match.group(1)}{word}" if match.group(1) else f"your {word}"


def _drop(body: _Body, i: int, j: int, prefix: str) -> None:
    """Leave sentence ``j`` of line ``i`` out; the sender it opened with ("Knix: ") moves
    onto the sentence after it."""
    sentence = body.lines[i][j]
    del body.lines[i][j]
    rest = body.all()
    if sentence.startswith(prefix) and rest:
        ni, nj, following = next(((a, b, c) for a, b, c in rest if (a, b) >= (i, j)), rest[0])
        if not following.startswith(prefix):
            body.lines[ni][nj] = prefix + following


def _same(one: str, other: str) -> bool:
    """Whether two lines say the same words (case and punctuation aside)."""

    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    return bool(words(one)) and words(one) == words(other)


def _sure(confidence: float) -> str:
    """How sure a pattern is, as the guidance says it ("over 99%", never "100%")."""
    return "over 99%" if confidence > 0.99 else f"{confidence:.0%}"


def _smooth(text: str) -> str:
    """A filled template read as written: "the (or your) your favourite", "25% off off" and
    "Rs $100" as a
    person would write them, each sentence opening with a capital."""
    text = re.sub(
        r"\b([Tt]he|[Yy]our|[Oo]ur) your favourite",
        lambda m: ("Y" if m.group(1)[0].isupper() else "y") + "our favourite",
        text,
    )
    text = re.sub(
        r"(^|[.!?]\s+)([a-z])(?!ttps?://|ww\.)", lambda m: m.group(1) + m.group(2).upper(), text
    )
    text = re.sub(r"\boff off\b", "off", text)
    # The merchant's own currency word before a filled amount: "Rs 100", not "Rs $100".
    return re.sub(r"(\b(?:Rs|INR|EUR|GBP)\.?|[₹€£])\s?\$(?=\d)", r"\1 ", text)


def _lead_in(token: str) -> str:
    """A pattern for a blank with the words that introduce it ("use code [code]", ": [x]")."""
    lead = r"\s*(?:(?:use|with|enter)\s+)?(?:(?:promo\s+|discount\s+)?code\b)?\s*:?\s*"
    return lead + re.escape(token)


def _offer_subject(voucher: Voucher, request: CampaignRequest) -> str:
    """A subject that states the offer in grammar a copywriter would sign."""
    phrase, scope = offer_phrase(voucher), purpose.scope_of(request)
    if (
        voucher.type in {VoucherType.PERCENT_OFF, VoucherType.AMOUNT_OFF}
        and voucher.min_spend is None
    ):
        original = request.original_template or ""
        if scope == "store" and _LIMITED.search(original):
            return phrase  # "up to 50% off selected collections" is not "50% off everything"
        return f"{phrase} {purpose.target(request)}"
    if voucher.type is VoucherType.FREE_SHIPPING and scope != "store":
        return f"{phrase} on {purpose.target(request)}"
    return phrase


def _offer_value(voucher: Voucher) -> str:
    """What fills a template's offer blank: the number where there is one ("{{2}} off")."""
    if voucher.type is VoucherType.PERCENT_OFF:
        return f"{voucher.value:g}%"
    if voucher.type in {VoucherType.AMOUNT_OFF, VoucherType.THRESHOLD}:
        return money(voucher.value)
    return offer_phrase(voucher)


def _typed_name(sentence: str) -> str:
    """A customer's name typed into a template ("Hi Sarah") as the merge field."""
    found = _TYPED_NAME.match(sentence)
    if found is None:
        return sentence
    greeting, name = (found.group(1), found.group(2)) if found.group(2) else ("", found.group(4))
    if name in _NOT_NAMES or name in _NOT_NAME_OPENERS:
        return sentence
    return f"{greeting}{NAME}{sentence[found.end() :]}"


def _no_emoji(sentence: str) -> str:
    """The sentence without its emoji; one that stood between two sentences becomes a full
    stop ("It's been a while 👀 Our new arrivals" -> "It's been a while. Our new arrivals")."""
    marked = "".join("\0" if has_emoji(ch) or ch in "\ufe0f\u200d" else ch for ch in sentence)
    marked = re.sub(r"(?<=[a-z0-9])\s*\0+\s+(?=[A-Z])", ". ", marked)
    return marked.replace("\0", "")


def _no_name(sentence: str) -> str:
    without = re.sub(r",?\s*\{first_name\}\s*,?", " ", sentence)
    return _capital(tidy(without))
