"""The web app's guards, on the app in process (no model, no world; asyncio needs a local
socket pair, so it lives with the integration tests): sign-in, its redirect, sessions, CSRF
and the pages' security headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
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


def test_a_form_posted_from_another_site_is_refused(client: TestClient, tmp_path: Path) -> None:
    key = access_for(tmp_path).create_key(["m1"], "editor")
    forged = client.post("/signin", data={"key": key}, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403 and "set-cookie" not in forged.headers
    fetched = client.post("/signin", data={"key": key}, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetched.status_code == 403


def test_a_body_past_the_limit_is_refused_however_it_is_sent(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 10_000  # 400 KB with no Content-Length: sent chunked

    answer = client.post(
        "/crmagent/invoke", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413 and "at most 262,144" in answer.json()["detail"]


def test_a_session_of_an_environment_key_ends_with_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRMAGENT_API_KEYS", "old-admin-key")
    client = TestClient(create_app(Context(home=str(tmp_path))))
    client.post("/signin", data={"key": "old-admin-key", "next": "/data"})
    assert client.get("/data", follow_redirects=False).status_code == 200
    monkeypatch.setenv("CRMAGENT_API_KEYS", "new-admin-key")
    assert client.get("/data", follow_redirects=False).status_code == 303


def test_the_queue_and_its_export_show_nothing_of_other_merchants(
    client: TestClient, tmp_path: Path
) -> None:
    access = access_for(tmp_path)
    request = {"merchant_id": "m1", "segment": "vip", "channel": "email"}
    edit = {"kind": "cta", "before": "", "after": "Shop now", "reason": "calls to action work",
            "evidence": ["theirs-1"]}  # fmt: skip
    result = {
        "mode": "retrieval",
        "template": {"subject": '=HYPERLINK("http://x")', "body": "Hello. Shop now"},
        "edits": [edit],
        "rule_report": {"passed": True},
    }
    access.put_review("t-1", request, result, "approved")
    key = access.create_key(["m1"], "viewer")
    client.post("/signin", data={"key": key, "next": "/queue"})
    page = client.get("/queue?status=approved")
    assert "Shop now" in page.text and "theirs-1" not in page.text
    export = client.get("/queue/approved.csv").text
    assert "'=HYPERLINK" in export  # a spreadsheet reads it as text, not a formula
