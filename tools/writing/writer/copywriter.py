"""The writer itself: the seed drawn from the request, the phrasing picked for each slot,
and the message assembled from the plan within the channel's limits."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence

from tools.domain import CampaignRequest, Merchant, TemplateText, VoucherType
from tools.message import purpose
from tools.message.channels import LIMITS, sms_count
from tools.message.features import offer_early
from tools.message.offers import date_phrase, money, offer_fact_errors
from tools.message.rules import OPT_OUT, sender_of
from tools.message.text import sentences
from tools.writing.writer.banks import (
    CODE_LINES,
    CTA_LINES,
    EMOJI,
    EXCLUSIVE_LINES,
    GREETING_HOOK,
    HOOKS,
    OFFER_LINES,
    PRODUCT_LINES,
    PURPOSE_LINES,
    QUESTION_HOOKS,
    URGENT_DATED,
    URGENT_UNDATED,
)
from tools.writing.writer.draft import Draft, greeting, unnamed, with_name, without_opening
from tools.writing.writer.own import OwnWords
from tools.writing.writer.plan import LINK, NAME, QUIET_VOICES, Exemplar, WritePlan

_SHORT_HOOK = 28
"""A hook this short leaves room for the offer to be stated within the first 40 characters."""


def request_seed(request: CampaignRequest) -> int:
    """A stable seed per request: the same request, the same phrasing."""
    key = "|".join(
        [
            request.merchant_id,
            request.segment,
            request.channel,
            request.product_name or "",
            request.voucher.model_dump_json() if request.voucher else "",
            request.purpose or "",
            request.original_template or "",
        ]
    )
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


class Writer(OwnWords):
    """Writes one message for a request from a plan and an optional exemplar."""

    def __init__(
        self,
        request: CampaignRequest,
        merchant: Merchant,
        canonical: str | None,
        seed: int | None = None,
        voice: Sequence[str] = (),
    ) -> None:
        self.request = request
        self.merchant = merchant
        self.voice = tuple(voice)
        """The merchant's own past texts, best first: where its plain sentences come from
        when a message needs room and its current text and exemplar have too few."""
        self.segment = canonical or ""
        self.rng = random.Random(request_seed(request) if seed is None else seed)
        self._forbidden = [
            re.compile(rf"(?<!\w){re.escape(w)}(?!\w)", re.I) for w in merchant.forbidden_words
        ]
        # What an exemplar offers (its opening, its reusable lines), read once per writer.
        self._openings: dict[tuple[Exemplar, bool], str] = {}
        self._lines: dict[Exemplar, dict[str, str]] = {}
        self._plain: dict[Exemplar | None, list[str]] = {}

    # -- choosing phrasings -----------------------------------------------------------------

    def _pick(self, options: Sequence[str], taken: Sequence[str] = (), **values: str) -> str:
        """A phrasing the merchant allows, varied by the request's seed, preferring one that
        does not open with the same word as a sentence already ``taken``."""
        start = self.rng.randrange(len(options))
        openers = {t.split(" ", 1)[0].lower() for t in taken if t}
        fallback = ""
        for i in range(len(options)):
            sentence = options[(start + i) % len(options)].format(**values)
            if not self._allowed(sentence):
                continue
            if sentence.split(" ", 1)[0].lower() not in openers:
                return sentence
            fallback = fallback or sentence
        return fallback

    # -- slots ------------------------------------------------------------------------------

    def offer_line(self) -> str:
        """The offer, stated from the voucher record; with no voucher, what the message is
        for ("The Trail Runner X is back in stock.")."""
        voucher = self.request.voucher
        target = purpose.target(self.request)
        if voucher is None:
            new = target if self.request.product_name else f"new {target.removeprefix('our ')}"
            if new == "new everything":
                new = "our new arrivals"
            return self._pick(
                PURPOSE_LINES[purpose.purpose_of(self.request, self.segment)],
                target=target,
                Target=target[:1].upper() + target[1:],
                new=new,
            )
        spend = (
            f" on orders over {money(voucher.min_spend)}"
            if voucher.min_spend is not None
            and voucher.type
            in {VoucherType.PERCENT_OFF, VoucherType.AMOUNT_OFF, VoucherType.FREE_SHIPPING}
            else ""
        )
        value = (
            f"{voucher.value:g}"
            if voucher.type is VoucherType.PERCENT_OFF
            else money(voucher.value)
        )
        return self._pick(
            OFFER_LINES[voucher.type],
            v=value,
            target=target,
            product=self.request.product_name or "",
            spend=spend,
            m=money(voucher.min_spend) if voucher.min_spend is not None else "",
        )

    def _hook(self, plan: WritePlan, exemplar: Exemplar | None) -> str:
        personalised = "personalised" in plan.use
        if exemplar is not None:
            reused = self._reusable_hook(exemplar, plan)
            if reused:
                return self._voice(with_name(reused, personalised))
        if "question" in plan.use:
            options = QUESTION_HOOKS.get(self.segment, ("Ready for something new{name}?",))
        else:
            options = HOOKS.get(self.segment, ()) or (GREETING_HOOK if personalised else ())
        if not options:
            return ""
        hook = self._pick(
            options,
            name=f" {NAME}" if options == GREETING_HOOK else (f", {NAME}" if personalised else ""),
        )
        return self._voice(hook)

    def _short_hook(self, plan: WritePlan) -> str:
        """A hook short enough for the offer to be stated within the first 40 characters."""
        name = f", {NAME}" if "personalised" in plan.use else ""
        pool = (
            QUESTION_HOOKS.get(self.segment, ())
            if "question" in plan.use
            else HOOKS.get(self.segment, ())
        )
        short = [h for h in pool if len(h.format(name=name)) < _SHORT_HOOK]
        return self._voice(self._pick(short, name=name)) if short else ""

    def _extras(self, plan: WritePlan, exemplar: Exemplar | None) -> dict[str, str]:
        own = {} if exemplar is None or not exemplar.own else self.own_lines(exemplar)
        lines: dict[str, str] = {}
        if "social_proof" in plan.use:
            # Only a claim the merchant has made itself: what customers think of a product is
            # not the agent's to say (the guidance asks the merchant for one instead).
            claim = own.get("social_proof") or self._from_voice()[1]
            if claim:
                lines["social_proof"] = claim
        if "exclusivity" in plan.use:
            options = EXCLUSIVE_LINES.get(self.segment, EXCLUSIVE_LINES[""])
            lines["exclusivity"] = own.get("exclusivity") or self._pick(options)
        if "product_named" in plan.use:
            lines["product_named"] = self._product_line()
        return lines

    def code_line(self, code: str, taken: Sequence[str] = ()) -> str:
        """The voucher's code, spelled out."""
        return self._pick(CODE_LINES, taken=taken, code=code)

    def _product_line(self) -> str:
        target = purpose.target(self.request)
        return self._pick(PRODUCT_LINES, target=target, Target=target[:1].upper() + target[1:])

    def cta_line(self, exemplar: Exemplar | None = None) -> str:
        """A call to action with the link: the exemplar's own when it is short and clean."""
        if exemplar is not None:
            for sentence in reversed(sentences(exemplar.text)):
                if (
                    LINK in sentence
                    and len(sentence) <= 40
                    and not any(ch.isdigit() for ch in sentence)
                    and self._allowed(sentence)
                ):
                    core = sentence.split(LINK)[0].rstrip(" :,-")
                    if (
                        core
                        and sentence.endswith(LINK)
                        and not re.search(r"\d|%|\$|code", core, re.I)
                    ):
                        return sentence
        return self._pick(CTA_LINES, link=LINK)

    def urgency_line(self, taken: Sequence[str] = ()) -> str:
        """A reason to act now: the voucher's end date, else a nudge with no deadline."""
        expires = self.request.voucher.expires if self.request.voucher else None
        if expires is not None:
            return self._pick(URGENT_DATED, taken, date=date_phrase(expires))
        return self._pick(URGENT_UNDATED, taken)

    def emoji(self) -> str:
        """One emoji that suits the segment."""
        return self.rng.choice(EMOJI.get(self.segment, EMOJI[""]))

    # -- assembly ---------------------------------------------------------------------------

    def write(self, plan: WritePlan, exemplar: Exemplar | None = None) -> TemplateText:
        """A message carrying the plan's features, within the channel's limits."""
        channel = self.request.channel
        use = set(plan.use) - plan.avoid
        draft = Draft(
            hook=self._hook(plan, exemplar),
            offer=self.offer_line() if "vague_offer" not in use else "",
            offer_first="offer_early" in use or "offer_early" not in plan.avoid,
            cta=self.cta_line(exemplar) if "cta" in use else "",
            opt_out=OPT_OUT if channel == "sms" else "",
            sender=sender_of(self.merchant, self.request) if channel == "sms" else "",
        )
        if "offer_early" in use and not offer_early(draft.body()):
            short = self._short_hook(plan)
            if short and offer_early(f"{short} {draft.offer}"):
                draft.hook = short
            else:
                # No opening fits before the offer: greet inside the offer, open after it.
                if "personalised" in use and draft.offer:
                    draft.offer = greeting(draft.offer)
                    draft.hook = with_name(draft.hook, personalised=False)
                draft.hook_after = True
        if self.merchant.brand_voice in QUIET_VOICES:
            use.discard("emoji")
        optional = [f for f in plan.use if f in use]  # most valuable first
        extras = self._extras(plan, exemplar)
        limit_low, limit_high = LIMITS[channel].ideal_body_chars
        budget = limit_high if "long_copy" not in use else LIMITS[channel].body_chars
        code = self.request.voucher.code if self.request.voucher else None
        for rank, feature in enumerate(optional):
            above = set(optional[:rank])
            trial = Draft(**{**draft.__dict__, "extras": list(draft.extras)})
            if feature == "product_named" and purpose.target(self.request).lower() in (
                draft.offer.lower()
            ):
                continue  # the offer names it already
            if feature in {"social_proof", "exclusivity", "product_named"} and feature in extras:
                trial.extras.append(extras[feature])
            elif feature == "urgency":
                trial.urgency = self.urgency_line(taken=trial.sentences())
            elif feature == "code_stated" and code:
                trial.code = self.code_line(code, trial.sentences())
            elif feature == "emoji":
                trial.emoji = self.emoji()
            elif feature == "short_copy":
                # Short copy converts here: what is less valuable must fit under the middle.
                budget = LIMITS[channel].middle_body_chars - 1
                if not self._fits(draft.body(), plan, budget):
                    draft = without_opening(draft, use, above)
                continue
            else:
                continue
            if not self._fits(trial.body(), plan, budget):
                trial = without_opening(trial, use, above)
            if not self._fits(trial.body(), plan, budget) and "product_named" in use - above:
                # Naming the product is planned below this feature: the offer line lets it go.
                trial.offer = unnamed(trial.offer, self.request.product_name or "")
            if self._fits(trial.body(), plan, budget):
                draft = trial
        # Over the channel's limit: shed optional parts until the offer, the link and the
        # opt-out fit (the rule check would refuse it otherwise).
        for trim in ("extras", "emoji", "product", "urgency", "code", "opening", "hook"):
            if self._fits(draft.body(), plan, LIMITS[channel].body_chars):
                break
            if trim == "opening":  # the name, if planned, stays in the offer line
                draft = without_opening(draft, use, use)
            else:
                setattr(draft, trim, [] if trim == "extras" else "")
        named = purpose.target(self.request).lower() in draft.body().lower()
        if len(draft.body()) < limit_low and "long_copy" not in plan.avoid and not named:
            longer = Draft(**{**draft.__dict__, "product": self._product_line()})
            if self._fits(longer.body(), plan, budget):
                draft = longer
        if "short_copy" in plan.avoid:
            # Short copy underperforms here: give it room with the merchant's own plain lines
            # (no offer, no claim of a feature, nothing of another merchant's).
            middle = LIMITS[channel].middle_body_chars
            for line in self._plain_lines(exemplar):
                if len(draft.body()) >= middle:
                    break
                if line.lower() in draft.body().lower():
                    continue
                longer = Draft(**{**draft.__dict__, "extras": [*draft.extras, line]})
                if self._fits(longer.body(), plan, budget):
                    draft = longer
        body = draft.body()
        subject = self._subject(draft) if channel in {"email", "push"} else None
        return TemplateText(subject=subject, body=body)

    def _fits(self, body: str, plan: WritePlan, budget: int) -> bool:
        if self.request.channel == "sms":
            return sms_count(body).segments <= plan.sms_segments
        return len(body) <= budget

    def _subject(self, draft: Draft) -> str:
        limit = LIMITS[self.request.channel].subject_chars or 50
        voucher = self.request.voucher
        candidates = []
        if draft.offer and voucher is None:
            candidates.append(draft.offer.rstrip("."))
        elif draft.offer and voucher is not None:
            target = purpose.target(self.request)
            value = money(voucher.value)
            candidates += {
                VoucherType.PERCENT_OFF: [
                    f"{voucher.value:g}% off {target}",
                    f"{voucher.value:g}% off for you",
                ],
                VoucherType.AMOUNT_OFF: [f"{value} off {target}", f"{value} off for you"],
                VoucherType.FREE_SHIPPING: [f"Free shipping on {target}", "Free shipping for you"],
                VoucherType.BOGO: ["Buy one, get one free"],
                VoucherType.GIFT: [f"A free gift with {target}", "A free gift for you"],
                VoucherType.THRESHOLD: [f"Spend {money(voucher.min_spend or 0)}, save {value}"],
            }[voucher.type]
        candidates.append(draft.hook.rstrip("."))
        for candidate in candidates:
            candidate = candidate[:1].upper() + candidate[1:]
            if (
                len(candidate) <= limit
                and self._allowed(candidate)
                and not offer_fact_errors(candidate, voucher)
            ):
                return candidate
        return draft.hook[:limit].rstrip(" ,.")
