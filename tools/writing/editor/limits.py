"""Fitting to the channel's limits: what gives way when the message is too long.

Edit kinds made here:

- ``gsm`` (an SMS's typographic characters and emoji, which cost a segment and say nothing),
  ``shorten`` (whole sentences, the one whose loss the patterns value least first; then a
  link's words, the code and the name) and ``emoji``: the message within the channel's
  limit, and within its sweet spot where the evidence says long copy loses (``fit``);
- ``personalised``: the name, where fitting took out the line that carried it, into the
  first line if it fits there (``greet_within``).

The offer and the opt-out never go; a link's words, the code and the name only once every
other sentence has.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.domain import TemplateText
from tools.message.channels import LIMITS, body_fits
from tools.message.features import feature_of, has_emoji, pattern_weights, weighed
from tools.message.offers import OFFER_PHRASE
from tools.message.rules import STOP_WORD, allowed_sms_segments
from tools.writing import wording
from tools.writing.editor.body import Body
from tools.writing.editor.fields import no_name
from tools.writing.editor.frame import greet
from tools.writing.editor.language import gsm, no_emoji
from tools.writing.writer import LINK, NAME, WritePlan

if TYPE_CHECKING:
    from tools.writing.editor.core import Editor


def fit(editor: Editor, body: Body, plan: WritePlan) -> None:
    """Within the channel's limit (and, where evidence says long copy loses, its sweet
    spot): the sentences that carry nothing go first, from the end."""
    channel = editor.request.channel.value
    segments = allowed_sms_segments(
        plan.sms_segments, editor.request.original_template, editor.sender
    )
    long_evidence = any(feature_of(p) == "long_copy" and p.lift < 1 for p in editor.patterns)
    limit = LIMITS[channel].ideal_body_chars[1] if long_evidence else None

    def fits() -> bool:
        text = body.text()
        if not body_fits(channel, text, segments):
            return False
        return limit is None or len(text) <= limit

    if channel == "sms" and not body_fits(channel, body.text(), plan.sms_segments):
        # What costs a segment without saying anything goes first, even within the
        # merchant's own length: curly quotes and emoji turn an SMS into UCS-2.
        editor.fix(body, "gsm", gsm)
        if not body_fits(channel, body.text(), plan.sms_segments) and has_emoji(body.text()):
            editor.fix(body, "gsm", no_emoji)
    # Then whole sentences, the one whose loss costs least by the patterns first (a
    # sentence carrying nothing the evidence values, the longest of those); never the
    # offer, the code, the link or the opt-out.
    code = editor.request.voucher.code if editor.request.voucher else None
    prefix = f"{editor.sender}: "
    while not fits():
        now = _value(editor, body.text())
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
            trial = Body([list(line) for line in body.lines], list(body.breaks))
            _drop(trial, i, j, prefix)
            options.append((now - _value(editor, trial.text()), -len(sentence), i, j, sentence))
        if not options:
            break
        _, _, i, j, sentence = min(options)
        _drop(body, i, j, prefix)
        editor.record("shorten", sentence, "", "long_copy" if long_evidence else None)
    for i, j, s in body.all():
        if not fits() and LINK in s and s != LINK and not OFFER_PHRASE.search(s):
            body.put(i, j, LINK)
            editor.record("shorten", s, LINK)
    if not fits() and has_emoji(body.text()):
        editor.fix(body, "emoji", no_emoji)
    for i, j, sentence in body.all()[::-1]:
        # Last, the code (the link can carry it) and then the name give way.
        if not fits() and code and code in sentence and not OFFER_PHRASE.search(sentence):
            _drop(body, i, j, prefix)
            editor.record("shorten", sentence, "")
    if not fits() and NAME in body.text():
        editor.fix(body, "shorten", no_name)


def greet_within(editor: Editor, body: Body, plan: WritePlan) -> None:
    """The merchant's line with the name made way for the channel's limit: the name goes
    into the first line instead, if it fits there (else the body and edits stay as they
    were)."""
    lines, breaks, made = (
        [list(line) for line in body.lines],
        list(body.breaks),
        len(editor.edits),
    )
    greet(editor, body)
    segments = allowed_sms_segments(
        plan.sms_segments, editor.request.original_template, editor.sender
    )
    if not body_fits(editor.request.channel.value, body.text(), segments):
        body.lines, body.breaks, editor.edits[made:] = lines, breaks, []


def _value(editor: Editor, text: str) -> float:
    """What the patterns predict for a text: the log lifts of the features it carries,
    each weighed by how sure its pattern is, and the worth of its wordings (only
    differences mean anything)."""
    features = weighed(TemplateText(body=text), editor.request, pattern_weights(editor.patterns))
    return features + wording.value(text, editor.wordings)


def _drop(body: Body, i: int, j: int, prefix: str) -> None:
    """Leave sentence ``j`` of line ``i`` out; the sender it opened with ("Knix: ") moves
    onto the sentence after it."""
    sentence = body.lines[i][j]
    del body.lines[i][j]
    rest = body.all()
    if sentence.startswith(prefix) and rest:
        ni, nj, following = next(((a, b, c) for a, b, c in rest if (a, b) >= (i, j)), rest[0])
        if not following.startswith(prefix):
            body.lines[ni][nj] = prefix + following
