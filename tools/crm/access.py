"""Who may use a deployment, and what waits for a person: API keys scoped to merchants and a
role (stored as hashes), the web app's sign-in sessions, and the review queue (the runs that
stopped at the graph's ``review`` interrupt, indexed by merchant, segment, channel and mode).

The tables live in the CRM store's file (``crm.sqlite``) beside the merchants they name; the
runs themselves live in the checkpointer, and a review is decided by resuming its thread.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from tools.crm.store import Store

Role = Literal["viewer", "editor", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "editor", "admin")
KEY_PREFIX = "crm_"
SESSION_HOURS = 12

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    merchants TEXT NOT NULL,
    role TEXT NOT NULL,
    label TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS web_sessions (
    digest TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reviews (
    thread_id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    segment TEXT NOT NULL,
    channel TEXT NOT NULL,
    mode TEXT NOT NULL,
    flagged INTEGER NOT NULL,
    degraded INTEGER NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    request TEXT NOT NULL,
    result TEXT NOT NULL,
    created_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by TEXT
);
CREATE INDEX IF NOT EXISTS reviews_by_merchant ON reviews (merchant_id, status, created_at);
"""


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


_REVIEW_COLUMNS = (
    "thread_id, merchant_id, segment, channel, mode, flagged, degraded, status, reason, "
    "request, result, created_at, decided_at, decided_by"
)


_BRIEF_COLUMNS = _REVIEW_COLUMNS.replace(
    "request, result",
    "json_object('original_template', json_extract(request, '$.original_template')), "
    "json_object('template', json_extract(result, '$.template'), "
    "'edits', json_extract(result, '$.edits'))",
)


def _review(row: Sequence[Any]) -> ReviewRow:
    thread, merchant, segment, channel, mode, flagged, degraded, status, reason = row[:9]
    request, result, created, decided, by = row[9:]
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
        json.loads(request),
        json.loads(result),
        created,
        decided,
        by,
    )


class Access:
    """The keys, sessions and review queue of one CRM store file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        Store(self.path).close()  # a new home's file gets the CRM's tables first
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._lock = threading.Lock()
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

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
        with self._lock:
            self._conn.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (key_id, _digest(secret), json.dumps(scope), role, label, _now()),
            )
        return secret

    def key(self, secret: str) -> Key | None:
        """The live key a secret stands for, or None (unknown or revoked)."""
        row = self._conn.execute(
            "SELECT key_id, merchants, role, label, created_at, revoked_at FROM api_keys "
            "WHERE digest = ? AND revoked_at IS NULL",
            (_digest(secret),),
        ).fetchone()
        return None if row is None else _key(row)

    def all_keys(self) -> list[Key]:
        """Every key, live and revoked, oldest first."""
        rows = self._conn.execute(
            "SELECT key_id, merchants, role, label, created_at, revoked_at FROM api_keys "
            "ORDER BY created_at, key_id"
        ).fetchall()
        return [_key(row) for row in rows]

    def has_keys(self) -> bool:
        """Whether any live key exists (then every route but the health check needs one)."""
        return (
            self._conn.execute("SELECT 1 FROM api_keys WHERE revoked_at IS NULL LIMIT 1").fetchone()
            is not None
        )

    def revoke(self, key_id: str) -> bool:
        """Revoke a key and end its sessions; False if no live key has that id."""
        with self._lock:
            done = self._conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (_now(), key_id),
            ).rowcount
            self._conn.execute("DELETE FROM web_sessions WHERE key_id = ?", (key_id,))
        return bool(done)

    def owned(self, template_ids: Iterable[str], merchants: Iterable[str]) -> set[str]:
        """The templates of ``template_ids`` that belong to one of ``merchants``."""
        ids, scope = sorted(set(template_ids)), sorted(merchants)
        if not ids or not scope:
            return set()
        rows = self._conn.execute(
            f"SELECT template_id FROM templates WHERE template_id IN ({', '.join('?' * len(ids))}) "
            f"AND merchant_id IN ({', '.join('?' * len(scope))})",
            (*ids, *scope),
        ).fetchall()
        return {str(row[0]) for row in rows}

    def merchants(self) -> dict[str, str]:
        """Every merchant of the store, by id: its display name."""
        rows = self._conn.execute("SELECT merchant_id, name FROM merchants ORDER BY 1")
        return {str(m): str(n) for m, n in rows}

    # -- sessions -------------------------------------------------------------------------------

    def open_session(self, key_id: str) -> tuple[str, str]:
        """A new session for a key: (the cookie's secret, the session's CSRF token)."""
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        expires = datetime.now(UTC).timestamp() + SESSION_HOURS * 3600
        with self._lock:
            self._conn.execute("DELETE FROM web_sessions WHERE expires_at < ?", (_now(),))
            self._conn.execute(
                "INSERT INTO web_sessions VALUES (?, ?, ?, ?)",
                (_digest(secret), key_id, csrf, datetime.fromtimestamp(expires, UTC).isoformat()),
            )
        return secret, csrf

    def session(self, secret: str) -> tuple[str, str] | None:
        """(key id, CSRF token) of a live session, or None."""
        row = self._conn.execute(
            "SELECT key_id, csrf, expires_at FROM web_sessions WHERE digest = ?",
            (_digest(secret),),
        ).fetchone()
        if row is None or row[2] < datetime.now(UTC).isoformat():
            return None
        return str(row[0]), str(row[1])

    def key_by_id(self, key_id: str) -> Key | None:
        """A live key by its id."""
        row = self._conn.execute(
            "SELECT key_id, merchants, role, label, created_at, revoked_at FROM api_keys "
            "WHERE key_id = ? AND revoked_at IS NULL",
            (key_id,),
        ).fetchone()
        return None if row is None else _key(row)

    def close_session(self, secret: str) -> None:
        """Sign out."""
        with self._lock:
            self._conn.execute("DELETE FROM web_sessions WHERE digest = ?", (_digest(secret),))

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
        decided = None if status == "pending" else _now()
        with self._lock:
            self._conn.execute(
                f"INSERT INTO reviews ({_REVIEW_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (thread_id) DO UPDATE SET mode = excluded.mode, "
                "flagged = excluded.flagged, degraded = excluded.degraded, "
                "status = excluded.status, reason = excluded.reason, "
                "result = excluded.result, decided_at = excluded.decided_at, "
                "decided_by = excluded.decided_by",
                (
                    thread_id,
                    request["merchant_id"],
                    request["segment"],
                    request["channel"],
                    result["mode"],
                    int(flagged),
                    int(bool(result.get("degraded"))),
                    status,
                    reason,
                    json.dumps(request),
                    json.dumps(result),
                    _now(),
                    decided,
                    decided_by,
                ),
            )

    def claim(self, thread_id: str) -> bool:
        """Take a pending review for one decision (False if it is not pending): two people
        deciding at once cannot both resume the run."""
        with self._lock:
            return bool(
                self._conn.execute(
                    "UPDATE reviews SET status = 'deciding' "
                    "WHERE thread_id = ? AND status = 'pending'",
                    (thread_id,),
                ).rowcount
            )

    def release(self, thread_id: str) -> None:
        """Give a claimed review back, undecided (its decision failed)."""
        with self._lock:
            self._conn.execute(
                "UPDATE reviews SET status = 'pending' WHERE thread_id = ? AND status = 'deciding'",
                (thread_id,),
            )

    def review(self, thread_id: str) -> ReviewRow | None:
        """One run of the queue."""
        row = self._conn.execute(
            f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE thread_id = ?", (thread_id,)
        ).fetchone()
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
        ``brief`` rows carry only what a list shows (the original text; the new template
        and its edits), read inside SQLite: a page of the queue parses a few KB, not each
        result's patterns, guidance and references."""
        where, args = [], []
        if merchants is not None:
            scope = sorted(merchants)
            where.append(f"merchant_id IN ({', '.join('?' * len(scope))})")
            args += scope
        for column, value in (
            ("status", status),
            ("segment", segment),
            ("channel", channel),
            ("mode", mode),
        ):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if flagged is not None:
            where.append("(flagged = 1 OR degraded = 1)" if flagged else "flagged = 0")
        sql = f"SELECT {_BRIEF_COLUMNS if brief else _REVIEW_COLUMNS} FROM reviews"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, thread_id LIMIT ? OFFSET ?"
        rows = self._conn.execute(sql, (*args, limit, offset)).fetchall()
        return [_review(row) for row in rows]


def _key(row: Sequence[Any]) -> Key:
    return Key(row[0], tuple(json.loads(row[1])), row[2], row[3], row[4], row[5])


_OPEN: dict[Path, Access] = {}
_OPENING = threading.Lock()


def access_for(home: str | Path) -> Access:
    """The keys, sessions and queue of the store under ``home`` (one connection a file,
    shared by threads: its writes are serialised by a lock)."""
    path = (Path(home) / "crm.sqlite").resolve()
    with _OPENING:
        if path not in _OPEN:
            _OPEN[path] = Access(path)
        return _OPEN[path]
