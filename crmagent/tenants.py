"""Tenants kept apart: who a request comes from, which merchants it may touch, and what it
may see of the others.

A ``Principal`` is a key's grant. Keys made with ``crmagent key create`` name their merchants
and a role (viewer, editor, admin); keys in ``CRMAGENT_API_KEYS`` are admin keys for every
merchant; with neither, the deployment is open (one user, loopback) and every request is
an admin of every merchant. Retrieval still learns from other merchants' top templates, but
a scoped principal sees only the pattern and its statistics: ``visible`` strips their text,
names and codes from a result.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tools.crm import Access, Role, access_for
from tools.domain import Edit, GenerationResult, GuidanceStep, Pattern, Reference
from tools.message.features import FEATURES, feature_of

_Cited = TypeVar("_Cited", Pattern, GuidanceStep, Edit)
_RANK = {"viewer": 0, "editor": 1, "admin": 2}


@dataclass(frozen=True)
class Principal:
    """Who is asking: a key's id, the merchants it may touch (None: all) and its role."""

    key_id: str
    merchants: frozenset[str] | None
    role: Role

    def allows(self, merchant_id: str) -> bool:
        """Whether this principal may read and change the merchant's data."""
        return self.merchants is None or merchant_id in self.merchants

    def can(self, role: Role) -> bool:
        """Whether the principal's role is at least ``role``."""
        return _RANK[self.role] >= _RANK[role]

    def outside(self, merchant_ids: Iterable[str]) -> list[str]:
        """The merchants of ``merchant_ids`` this principal may not touch, in order."""
        return [m for m in dict.fromkeys(merchant_ids) if not self.allows(m)]


OPEN = Principal("open", None, "admin")
"""Every request of a deployment with no keys at all."""


def _env_id(key: str) -> str:
    """An environment key's id: what sessions and decisions record of it."""
    return "env:" + hashlib.sha256(key.encode()).hexdigest()[:12]


def env_keys() -> list[str]:
    """Keys from ``CRMAGENT_API_KEYS`` (comma-separated): admin keys for every merchant."""
    return [k.strip() for k in os.environ.get("CRMAGENT_API_KEYS", "").split(",") if k.strip()]


def protected(home: str | Path) -> bool:
    """Whether the deployment asks for a key (an environment key or a stored one)."""
    return bool(env_keys()) or access_for(home).has_keys()


def principal_of(secret: str | None, home: str | Path) -> Principal | None:
    """The principal a presented key stands for, or None when it stands for none."""
    if not secret:
        return None
    # Compare with every environment key in constant time: timing tells nothing.
    if any([hmac.compare_digest(secret.encode(), k.encode()) for k in env_keys()]):
        return Principal(_env_id(secret), None, "admin")
    key = access_for(home).key(secret)
    return None if key is None else Principal(key.key_id, frozenset(key.merchants), key.role)


def principal_of_session(secret: str | None, access: Access) -> tuple[Principal, str] | None:
    """The principal and CSRF token of a web session cookie, or None."""
    if not secret:
        return None
    found = access.session(secret)
    if found is None:
        return None
    key_id, csrf = found
    if key_id == "open":
        return OPEN, csrf
    if key_id.startswith("env:"):
        # Good while the environment key it was opened with is still one of them.
        if key_id in {_env_id(k) for k in env_keys()}:
            return Principal(key_id, None, "admin"), csrf
        return None
    key = access.key_by_id(key_id)
    if key is None:
        return None
    return Principal(key.key_id, frozenset(key.merchants), key.role), csrf


def visible(result: GenerationResult, who: Principal, home: str | Path) -> GenerationResult:
    """The result as ``who`` may see it: another merchant's templates it learned from keep
    their similarity and conversion rate (the pattern's statistics) but lose their text,
    their merchant and their id, and evidence cites only ``who``'s own templates."""
    if who.merchants is None:
        return result
    cited = {ref.template_id for ref in result.references}
    cited |= {i for p in result.patterns for i in p.evidence}
    cited |= {i for g in result.guidance for i in g.evidence}
    cited |= {i for e in result.edits for i in e.evidence}
    own = access_for(home).owned(cited, who.merchants)
    foreign = any(ref.template_id not in own for ref in result.references)
    references = [
        ref
        if ref.template_id in own
        else Reference(
            template_id="another merchant's template",
            merchant_id="another merchant",
            similarity=ref.similarity,
            text="",
            cvr=ref.cvr,
        )
        for ref in result.references
    ]
    return result.model_copy(
        update={
            "references": references,
            "patterns": [_grounded(_cited(p, own), foreign) for p in result.patterns],
            "guidance": [_cited(g, own) for g in result.guidance],
            "edits": [_cited(e, own) for e in result.edits],
        }
    )


def _grounded(pattern: Pattern, foreign: bool) -> Pattern:
    """A pattern described in the grounded layer's words where the result learned from
    other merchants' texts (a model's note on them could quote them)."""
    if not foreign or feature_of(pattern) not in FEATURES:
        return pattern
    return pattern.model_copy(update={"description": FEATURES[feature_of(pattern)]})


def _cited(item: _Cited, own: set[str]) -> _Cited:
    return item.model_copy(update={"evidence": [i for i in item.evidence if i in own]})


def own_evidence(
    edits: list[list[dict[str, Any]]], who: Principal, home: str | Path
) -> list[list[dict[str, Any]]]:
    """Several results' edits (as JSON) citing only ``who``'s own templates, for pages that
    list drafts without reading whole results (one look-up for them all)."""
    if who.merchants is None:
        return edits
    cited = {i for each in edits for e in each for i in e.get("evidence", [])}
    own = access_for(home).owned(cited, who.merchants)
    return [
        [{**e, "evidence": [i for i in e.get("evidence", []) if i in own]} for e in each]
        for each in edits
    ]
