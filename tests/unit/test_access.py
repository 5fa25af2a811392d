"""Keys, sign-in sessions and the review queue in the store: a key acts on its merchants
until revoked, a session ends with its key, and a run in the queue is decided once.

Every test here runs on PostgreSQL too (tests/integration/test_store_postgres.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from tools.crm.access import Access
from tools.crm.store import Store, TemplateRecord


def request(merchant: str, original: str = "Old text") -> dict[str, Any]:
    return {
        "merchant_id": merchant,
        "segment": "vip",
        "channel": "sms",
        "original_template": original,
    }


def result(passed: bool = True, body: str = "New text") -> dict[str, Any]:
    return {
        "mode": "group",
        "template": {"subject": None, "body": body},
        "edits": [{"kind": "urgency", "after": "Ends Friday."}],
        "rule_report": {"passed": passed},
        "guidance": [{"step": 1, "text": "long reasoning the list does not show"}],
    }


def test_a_key_acts_on_its_merchants_until_revoked(store_url: str) -> None:
    access = Access(store_url)
    assert not access.has_keys()
    with pytest.raises(ValueError, match="--merchant"):
        access.create_key([" "], "editor")
    secret = access.create_key(["m2", "m1", "m1"], "editor", "shop team")
    key = access.key(secret)
    assert key is not None and key.merchants == ("m1", "m2") and key.role == "editor"
    assert access.has_keys() and access.key("crm_guess") is None
    cookie, csrf = access.open_session(key.key_id)
    assert access.session(cookie) == (key.key_id, csrf)
    assert access.revoke(key.key_id) and not access.revoke(key.key_id)
    assert access.key(secret) is None and access.session(cookie) is None
    assert [k.revoked_at is not None for k in access.all_keys()] == [True]
    assert not access.has_keys()


def test_a_signed_out_session_is_gone(store_url: str) -> None:
    access = Access(store_url)
    key = access.key(access.create_key(["m1"], "viewer"))
    assert key is not None
    cookie, _ = access.open_session(key.key_id)
    access.close_session(cookie)
    assert access.session(cookie) is None and access.key_by_id(key.key_id) == key


def test_a_key_owns_only_its_merchants_templates(store_url: str) -> None:
    def template(template_id: str, merchant: str) -> TemplateRecord:
        return TemplateRecord(
            template_id, merchant, "vip", "sms", "percent_off", 10.0, None, None, None,
            "home", "Hi", None, 100, 50, 10, 2, None, "2026-10-01",
        )  # fmt: skip

    with Store(store_url) as store, store.transaction():
        store.put_templates([template("mine", "m1"), template("theirs", "m2")])
    access = Access(store_url)
    assert access.owned(["mine", "theirs", "gone"], ["m1"]) == {"mine"}
    assert access.owned([], ["m1"]) == set() and access.merchants() == {"m1": "m1", "m2": "m2"}


def test_a_run_in_the_queue_is_decided_once(store_url: str) -> None:
    access = Access(store_url)
    access.put_review("run-1", request("m1"), result(), "pending")
    access.put_review("run-2", request("m2"), result(passed=False), "pending")
    assert [r.thread_id for r in access.reviews(["m1"])] == ["run-1"]
    assert {r.thread_id for r in access.reviews(None, flagged=True)} == {"run-2"}
    assert access.claim("run-1") and not access.claim("run-1")
    access.release("run-1")
    assert access.claim("run-1")
    access.put_review(
        "run-1", request("m1", "ignored"), result(body="Edited"), "approved", decided_by="ann"
    )
    decided = access.review("run-1")
    assert decided is not None and decided.status == "approved" and decided.decided_by == "ann"
    assert decided.request["original_template"] == "Old text"  # the first entry's request
    assert decided.result["template"]["body"] == "Edited" and decided.decided_at is not None
    assert access.reviews(["m1"]) == [] and access.review("run-9") is None


def test_a_page_of_the_queue_carries_only_what_the_list_shows(store_url: str) -> None:
    access = Access(store_url)
    for number in range(3):
        access.put_review(f"run-{number}", request("m1", f"Old {number}"), result(), "pending")
    page = access.reviews(["m1"], brief=True, limit=2)
    assert len(page) == 2 and all(r.status == "pending" for r in page)
    assert page[0].request == {"original_template": page[0].request["original_template"]}
    assert page[0].result == {
        "template": {"subject": None, "body": "New text"},
        "edits": [{"kind": "urgency", "after": "Ends Friday."}],
    }
    full = {r.thread_id: r for r in access.reviews(["m1"])}
    for row in page:
        assert full[row.thread_id].request["original_template"] == row.request["original_template"]
        assert "guidance" in full[row.thread_id].result
