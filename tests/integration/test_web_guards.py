"""The web app's guards, on the app in process (no model, no world; asyncio needs a local
socket pair, so it lives with the integration tests): sign-in, its redirect, sessions, CSRF
and the pages' security headers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crmagent.service import create_app
from graph.context import Context
from tools.crm import access_for


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.delenv("CRMAGENT_API_KEYS", raising=False)
    return TestClient(create_app(Context(home=str(tmp_path))))


def test_a_page_without_a_session_asks_to_sign_in(client: TestClient, tmp_path: Path) -> None:
    access_for(tmp_path).create_key(["m1"], "editor")
    answer = client.get("/queue", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/signin?next=/queue"
    wrong = client.post("/signin", data={"key": "crm_nope", "next": "/queue"})
    assert wrong.status_code == 401 and "not valid" in wrong.text


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil.example"])
def test_signing_in_never_sends_the_browser_off_site(
    client: TestClient, tmp_path: Path, target: str
) -> None:
    key = access_for(tmp_path).create_key(["m1"], "editor")
    answer = client.post("/signin", data={"key": key, "next": target}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/write"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_forms_need_the_sessions_token_and_pages_carry_their_headers(
    client: TestClient, tmp_path: Path
) -> None:
    key = access_for(tmp_path).create_key(["m1"], "viewer")
    client.post("/signin", data={"key": key, "next": "/data"})
    page = client.get("/data")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    forged = client.post("/data/profile", data={"merchant_id": "m1", "name": "X"})
    assert forged.status_code == 403 and "security token" in forged.text
    viewer = client.post("/data/profile", data={"csrf": token.group(1), "merchant_id": "m1"})
    assert viewer.status_code == 403 and "editors only" in viewer.text


def test_a_deployment_without_keys_opens_without_signing_in(client: TestClient) -> None:
    answer = client.get("/write")
    assert answer.status_code == 200 and "Write a campaign" in answer.text
    assert "all merchants" in answer.text
