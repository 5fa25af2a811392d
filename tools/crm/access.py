"""Who may use a deployment, and what waits for a person: API keys scoped to merchants and a
role (stored as hashes), the web app's sign-in sessions, and the review queue (the runs that
stopped at the graph's ``review`` interrupt, indexed by merchant, segment, channel and mode).

The tables live in the CRM store's database (``CRMAGENT_STORE_URL``) beside the merchants
they name; the runs themselves live in the checkpointer, and a review is decided by resuming
its thread.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import ColumnElement, delete, insert, or_, select, update

from tools.crm.resources import store_url
from tools.crm.store import Database
from tools.crm.store.tables import api_keys, reviews, templates, web_sessions
from tools.crm.store.tables import merchants as merchant_rows

Role = Literal["viewer", "editor", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "editor", "admin")
KEY_PREFIX = "crm_"
SESSION_HOURS = 12


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _digest(secret: str) -> str:
    # Keys and session ids are long random strings: a plain SHA-256 is enough to keep the
    # table useless to whoever reads it (there is nothing to guess by brute force).
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Key:
    """A stored key's grant: which merchants it may read and change, and its role."""

    key_id: str
    merchants: tuple[str, ...]
    role: Role
    label: str | None
    created_at: str
    revoked_at: str | None = None


@dataclass(frozen=True)
class ReviewRow:
    """A run in the review queue: the index columns, the request and the current draft."""

    thread_id: str
    merchant_id: str
    segment: str
    channel: str
    mode: str
    flagged: bool
    degraded: bool
    status: str
    reason: str | None
    request: dict[str, Any]
    result: dict[str, Any]
    created_at: str
    decided_at: str | None
    decided_by: str | None


_DECISION = (
    "mode", "flagged", "degraded", "status", "reason", "result", "decided_at", "decided_by",
)  # fmt: skip
"""What a run's later entry in the queue changes (its request and first entry stay)."""
_KEY_COLUMNS = (
    api_keys.c.key_id,
    api_keys.c.merchants,
    api_keys.c.role,
    api_keys.c.label,
    api_keys.c.created_at,
    api_keys.c.revoked_at,
)
_BRIEF_COLUMNS = (
    *list(reviews.c)[:9],
    reviews.c.request["original_template"],
    reviews.c.result["template"],
    reviews.c.result["edits"],
    *list(reviews.c)[11:],
)
"""A queue row with only what a list shows of its request and draft (the original text; the
new template and its edits), read by the database: a page of the queue parses a few KB, not
each result's patterns, guidance and references."""


def _review(row: Sequence[Any], brief: bool = False) -> ReviewRow:
    thread, merchant, segment, channel, mode, flagged, degraded, status, reason = row[:9]
    created, decided, by = row[-3:]
    if brief:
        original, template, edits = row[9:12]
        request, result = {"original_template": original}, {"template": template, "edits": edits}
    else:
        request, result = row[9:11]
    return ReviewRow(
        thread,
        merchant,
        segment,
        channel,
        mode,
        bool(flagged),
        bool(degraded),
        status,
        reason,
        request,
        result,
        created,
        decided,
        by,
    )


def _key(row: Sequence[Any]) -> Key:
    return Key(row[0], tuple(json.loads(row[1])), row[2], row[3], row[4], row[5])


class Access(Database):
    """The keys, sessions and review queue of one CRM store."""

    # -- keys ---------------------------------------------------------------------------------

    def create_key(self, merchants: Iterable[str], role: Role, label: str | None = None) -> str:
        """A new key for these merchants; returns the secret, which is stored only hashed."""
        scope = sorted({m.strip() for m in merchants if m.strip()})
        if not scope:
            raise ValueError("a key needs at least one merchant: pass --merchant MERCHANT_ID")
        if role not in ROLES:
            raise ValueError(f"role {role!r} is not one of {', '.join(ROLES)}")
        key_id = secrets.token_hex(4)
        secret = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(24)}"
        self._run(
            insert(api_keys),
            {
                "key_id": key_id,
                "digest": _digest(secret),
                "merchants": json.dumps(scope),
                "role": role,
                "label": label,
                "created_at": _now(),
            },
        )
        return secret

    def key(self, secret: str) -> Key | None:
        """The live key a secret stands for, or None (unknown or revoked)."""
        return self._live_key(api_keys.c.digest == _digest(secret))

    def key_by_id(self, key_id: str) -> Key | None:
        """A live key by its id."""
        return self._live_key(api_keys.c.key_id == key_id)

    def _live_key(self, which: ColumnElement[bool]) -> Key | None:
        row = self._first(select(*_KEY_COLUMNS).where(which, api_keys.c.revoked_at.is_(None)))
        return None if row is None else _key(row)

    def all_keys(self) -> list[Key]:
        """Every key, live and revoked, oldest first."""
        rows = self._rows(select(*_KEY_COLUMNS).order_by(api_keys.c.created_at, api_keys.c.key_id))
        return [_key(row) for row in rows]

    def has_keys(self) -> bool:
        """Whether any live key exists (then every route but the health check needs one)."""
        query = select(api_keys.c.key_id).where(api_keys.c.revoked_at.is_(None)).limit(1)
        return self._first(query) is not None

    def revoke(self, key_id: str) -> bool:
        """Revoke a key and end its sessions; False if no live key has that id."""
        done = self._run(
            update(api_keys)
            .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        )
        self._run(delete(web_sessions).where(web_sessions.c.key_id == key_id))
        return bool(done)

    def owned(self, template_ids: Iterable[str], merchants: Iterable[str]) -> set[str]:
        """The templates of ``template_ids`` that belong to one of ``merchants``."""
        ids, scope = sorted(set(template_ids)), sorted(merchants)
        if not ids or not scope:
            return set()
        rows = self._rows(
            select(templates.c.template_id).where(
                templates.c.template_id.in_(ids), templates.c.merchant_id.in_(scope)
            )
        )
        return {str(row[0]) for row in rows}

    def merchants(self) -> dict[str, str]:
        """Every merchant of the store, by id: its display name."""
        rows = self._rows(
            select(merchant_rows.c.merchant_id, merchant_rows.c.name).order_by(
                merchant_rows.c.merchant_id
            )
        )
        return {str(m): str(n) for m, n in rows}

    # -- sessions -------------------------------------------------------------------------------

    def open_session(self, key_id: str) -> tuple[str, str]:
        """A new session for a key: (the cookie's secret, the session's CSRF token)."""
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        expires = datetime.now(UTC).timestamp() + SESSION_HOURS * 3600
        self._run(delete(web_sessions).where(web_sessions.c.expires_at < _now()))
        self._run(
            insert(web_sessions),
            {
                "digest": _digest(secret),
                "key_id": key_id,
                "csrf": csrf,
                "expires_at": datetime.fromtimestamp(expires, UTC).isoformat(),
            },
        )
        return secret, csrf

    def session(self, secret: str) -> tuple[str, str] | None:
        """(key id, CSRF token) of a live session, or None."""
        row = self._first(
            select(web_sessions.c.key_id, web_sessions.c.csrf, web_sessions.c.expires_at).where(
                web_sessions.c.digest == _digest(secret)
            )
        )
        if row is None or row[2] < datetime.now(UTC).isoformat():
            return None
        return str(row[0]), str(row[1])

    def close_session(self, secret: str) -> None:
        """Sign out."""
        self._run(delete(web_sessions).where(web_sessions.c.digest == _digest(secret)))

    # -- the review queue -------------------------------------------------------------------------

    def put_review(
        self,
        thread_id: str,
        request: dict[str, Any],
        result: dict[str, Any],
        status: str,
        reason: str | None = None,
        decided_by: str | None = None,
    ) -> None:
        """Record (or update) a run's place in the queue with its current draft."""
        flagged = not result.get("rule_report", {}).get("passed", True)
        self._run(
            self.upsert(reviews, update=_DECISION),
            {
                "thread_id": thread_id,
                "merchant_id": request["merchant_id"],
                "segment": request["segment"],
                "channel": request["channel"],
                "mode": result["mode"],
                "flagged": int(flagged),
                "degraded": int(bool(result.get("degraded"))),
                "status": status,
                "reason": reason,
                "request": request,
                "result": result,
                "created_at": _now(),
                "decided_at": None if status == "pending" else _now(),
                "decided_by": decided_by,
            },
        )

    def claim(self, thread_id: str) -> bool:
        """Take a pending review for one decision (False if it is not pending): two people
        deciding at once cannot both resume the run."""
        return bool(self._move(thread_id, "pending", "deciding"))

    def release(self, thread_id: str) -> None:
        """Give a claimed review back, undecided (its decision failed)."""
        self._move(thread_id, "deciding", "pending")

    def _move(self, thread_id: str, status: str, to: str) -> int:
        return self._run(
            update(reviews)
            .where(reviews.c.thread_id == thread_id, reviews.c.status == status)
            .values(status=to)
        )

    def review(self, thread_id: str) -> ReviewRow | None:
        """One run of the queue."""
        row = self._first(select(reviews).where(reviews.c.thread_id == thread_id))
        return None if row is None else _review(row)

    def reviews(
        self,
        merchants: Iterable[str] | None,
        *,
        status: str | None = "pending",
        segment: str | None = None,
        channel: str | None = None,
        mode: str | None = None,
        flagged: bool | None = None,
        limit: int = 200,
        offset: int = 0,
        brief: bool = False,
    ) -> list[ReviewRow]:
        """The queue, newest first: only these merchants' runs (None: every merchant's).
        ``brief`` rows carry only what a list shows (``_BRIEF_COLUMNS``)."""
        query = select(*_BRIEF_COLUMNS) if brief else select(reviews)
        if merchants is not None:
            query = query.where(reviews.c.merchant_id.in_(sorted(merchants)))
        for column, value in (
            (reviews.c.status, status),
            (reviews.c.segment, segment),
            (reviews.c.channel, channel),
            (reviews.c.mode, mode),
        ):
            if value:
                query = query.where(column == value)
        if flagged is not None:
            query = query.where(
                or_(reviews.c.flagged == 1, reviews.c.degraded == 1)
                if flagged
                else reviews.c.flagged == 0
            )
        query = query.order_by(reviews.c.created_at.desc(), reviews.c.thread_id)
        rows = self._rows(query.limit(limit).offset(offset))
        return [_review(row, brief) for row in rows]


_OPEN: dict[str, Access] = {}
_OPENING = threading.Lock()


def access_for(home: str | Path) -> Access:
    """The keys, sessions and queue of the store of ``home`` (one connection a store, shared
    by threads)."""
    url = store_url(Path(home).resolve())
    with _OPENING:
        if url not in _OPEN:
            _OPEN[url] = Access(url)
        return _OPEN[url]
