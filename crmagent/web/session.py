"""Signing in to the web app: a key, presented once, opens a session kept in an HttpOnly,
SameSite=Strict cookie; every form and script call carries the session's CSRF token."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from fastapi import HTTPException, Request

from crmagent.tenants import OPEN, Principal, principal_of, principal_of_session, protected
from tools.crm import Role, access_for

COOKIE = "crmagent_session"


@dataclass(frozen=True)
class Viewer:
    """A signed-in marketer: what their key allows, and the session's CSRF token."""

    principal: Principal
    csrf: str

    def need(self, role: Role) -> None:
        """Refuse (403) an action the key's role does not allow."""
        if not self.principal.can(role):
            raise HTTPException(403, f"this key is a {self.principal.role}; {role}s only")

    def check(self, token: str | None) -> None:
        """Refuse (403) a form or call without this session's CSRF token."""
        if not token or not hmac.compare_digest(token.encode(), self.csrf.encode()):
            raise HTTPException(403, "the form's security token is missing or stale: reload")


class SignInNeeded(Exception):
    """Raised by ``viewer`` for a request without a live session."""

    def __init__(self, next_path: str) -> None:
        self.location = f"/signin?next={quote(next_path)}"


def viewer_of(request: Request, home: Path) -> Viewer:
    """The request's signed-in viewer, or ``SignInNeeded``."""
    access = access_for(home)
    secret = request.cookies.get(COOKIE)
    found = principal_of_session(secret, access)
    if found is not None:
        principal, csrf = found
        if principal.key_id != "open" or not protected(home):
            return Viewer(principal, csrf)
    raise SignInNeeded(request.url.path)


def sign_in(key: str | None, home: Path) -> tuple[str, Principal] | None:
    """A new session's cookie secret for a key (or for anyone, on a deployment without
    keys), or None when the key stands for nobody."""
    if not protected(home):
        principal: Principal | None = OPEN
    else:
        principal = principal_of(key, home)
    if principal is None:
        return None
    secret, _ = access_for(home).open_session(principal.key_id)
    return secret, principal
