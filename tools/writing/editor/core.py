"""The editor's core: its state, how an edit is recorded with its evidence, and ``edit``,
which runs the families' steps in order.

Each edit is recorded with the text before and after and the reason: the pattern of the
merchant's or the segment's data behind it (``record``), best practice, or the edit kind's
own reason (``_REASONS``). ``fix`` applies a function of a sentence to every sentence and
records each one it changed. The edits themselves live in the family modules beside this
one; a new kind of edit is a function there and one line in ``Editor.edit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tools.domain import CampaignRequest, Edit, Merchant, Pattern, TemplateText, WordingLift
from tools.message import merge_fields
from tools.message.best_practice import practice
from tools.message.features import FEATURES, feature_of, template_features
from tools.message.text import tidy
from tools.writing.editor import facts, fields, frame, language, learned, limits, subject
from tools.writing.editor.body import Body, same
from tools.writing.writer import LINK, NAME, QUIET_VOICES, Exemplar, WritePlan, Writer


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

    def record(self, kind: str, before: str, after: str, feature: str | None = None) -> None:
        """Record an edit with its reason: the pattern of the evidence behind ``feature``
        (its lift, sample size and confidence), else best practice, else the edit kind's."""
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

    def fix(self, body: Body, kind: str, fix: object, feature: str | None = None) -> None:
        """Apply a sentence-level fix (a function of a sentence) everywhere, recording each
        sentence it changed."""
        assert callable(fix)
        for i, j, s in body.all()[::-1]:
            fixed = tidy(str(fix(s)))
            if fixed != s:
                body.put(i, j, fixed)
                self.record(kind, s, fixed, feature)

    def evidence(self, feature: str, *, helps: bool) -> bool:
        """Whether a pattern of the merchant's or the segment's data backs acting on a
        feature (best practice alone leaves the merchant's own sentences as they are)."""
        return any(feature_of(p) == feature and (p.lift > 1) == helps for p in self.patterns)

    def has(self, text: str, feature: str) -> bool:
        """Whether a text carries a copy feature, read for this request."""
        return template_features(TemplateText(body=text), self.request).get(feature, False)

    # -- the edits ----------------------------------------------------------------------------

    def edit(self, plan: WritePlan) -> Edited:
        """The original edited to the plan, within the channel's limits."""
        original = self.request.original_template or ""
        plain = fields.unmark(self, original)
        parsed = merge_fields.to_ours(plain)
        text = fields.resolve(self, parsed)
        body = Body.of(text)
        if not body.all():
            body = Body.of(self.writer.offer_line())
            self.record("template_choice", text, body.text())
        sender = frame.unsend(self, body)
        use = set(plan.use) - plan.avoid
        self.fix(body, "link", lambda s: fields.URL.sub(LINK, s))
        self.fix(body, "personalised", fields.typed_name)
        if self.merchant.brand_voice in QUIET_VOICES:
            use.discard("emoji")
        self.fix(body, "profanity", language.clean_language)
        self.fix(body, "shouting", lambda s: language.calm(self, s), "shouting")
        self.fix(body, "offer_facts", lambda s: facts.true_offer(self, s))
        self.fix(body, "false_urgency", lambda s: facts.true_deadline(self, s))
        if "urgency" in plan.avoid and self.evidence("urgency", helps=False):
            self.fix(body, "urgency", facts.no_urgency, "urgency")
        if "emoji" in plan.avoid and self.evidence("emoji", helps=False):
            self.fix(body, "emoji", language.no_emoji, "emoji")
        if "personalised" in plan.avoid:
            self.fix(body, "personalised", fields.no_name, "personalised")
        facts.offer(self, body, use)
        learned.reword_opening(self, body)
        learned.reword_offer_verb(self, body)
        if "personalised" in use and NAME not in body.text():
            frame.greet(self, body)
        facts.state_code(self, body, plan)
        facts.state_deadline(self, body, use)
        learned.borrow(self, body, use)
        language.add_emoji(self, body, use)
        frame.call_to_action(self, body)
        learned.reword_call(self, body)
        frame.resend(body, sender)
        frame.sms(self, body)
        frame.finish(body)
        limits.fit(self, body, plan)
        if "personalised" in use and NAME not in body.text():
            limits.greet_within(self, body, plan)
        title = subject.write(self, body)
        own = fields.hold(self, merge_fields.to_ours(self.request.original_subject or ""))
        if title and self.request.channel.value == "email" and same(title, own):
            subject.unrepeat(self, body, title)
        return Edited(
            TemplateText(subject=title, preheader=subject.preheader(self), body=body.text()),
            tuple(self.edits),
            fields.merchant_syntax(parsed.syntax, original),
            tuple(self.kept.items()),
        )


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
"""Why an edit of each kind is made, where no pattern and no best practice says."""


def _sure(confidence: float) -> str:
    """How sure a pattern is, as the guidance says it ("over 99%", never "100%")."""
    return "over 99%" if confidence > 0.99 else f"{confidence:.0%}"
