"""What a page shows of a result: the new text with each edit marked as a reviewer's
tracked change (its reason and evidence on hover or focus), and the facts a channel's
preview needs (an SMS's segments, a push card's title, an e-mail's subject and preheader)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.message.channels import sms_count


@dataclass(frozen=True)
class Piece:
    """A run of the new text; ``edit`` is the change that wrote it, if any."""

    text: str
    edit: dict[str, Any] | None = None


def marked(text: str, edits: list[dict[str, Any]]) -> list[Piece]:
    """``text`` cut into pieces, each edit's new words marked where they first appear (an
    edit whose words were later changed again is not marked: the removals list says it)."""
    pieces = [Piece(text)]
    for edit in edits:
        after = (edit.get("after") or "").strip()
        if not after:
            continue
        for i, piece in enumerate(pieces):
            at = piece.text.find(after) if piece.edit is None else -1
            if at < 0:
                continue
            head, tail = piece.text[:at], piece.text[at + len(after) :]
            pieces[i : i + 1] = [
                p for p in (Piece(head), Piece(after, edit), Piece(tail)) if p.text
            ]
            break
    return pieces


def removals(edits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The edits that took words out and put nothing in their place."""
    return [e for e in edits if e.get("before") and not (e.get("after") or "").strip()]


def preview(channel: str, template: dict[str, Any], sender: str) -> dict[str, Any]:
    """What the customer sees on the channel: the parts and, for an SMS, its segments."""
    body = template.get("body") or ""
    return {
        "channel": channel,
        "sender": sender,
        "subject": template.get("subject"),
        "preheader": template.get("preheader"),
        "body": body,
        "paragraphs": [p for p in body.split("\n\n") if p.strip()],
        "segments": sms_count(body).segments if channel == "sms" else None,
    }
