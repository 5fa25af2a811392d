"""Tenants kept apart, on a real `crmagent serve`: keys made with `crmagent key create` act
only for their merchants on every route (LangServe, the review queue, the pages, imports),
a viewer cannot approve, another merchant's templates show as statistics only, and a
revoked key stops at once."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from arena.world import build_world
from tests.integration.cli import crmagent, new_key
from tests.integration.servers import free_port, running
from tests.requests import REQUEST

pytestmark = pytest.mark.reliability

ADMIN = "env-admin-key"
OURS = {**REQUEST, "merchant_id": "m001"}
THEIRS = {**REQUEST, "merchant_id": "m002"}


@dataclass(frozen=True)
class Deployment:
    url: str
    home: Path
    editor: str
    viewer: str
    other: str


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    home = tmp_path_factory.mktemp("tenants")
    build_world(home, seed=1)
    editor = new_key(home, "--merchant", "m001", "--role", "editor")
    viewer = new_key(home, "--merchant", "m001", "--role", "viewer")
    other = new_key(home, "--merchant", "m002", "--merchant", "m003")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(
        [sys.executable, "-m", "crmagent", "serve", "--port", str(port)],
        f"{url}/healthz",
        {"CRMAGENT_HOME": str(home), "CRMAGENT_API_KEYS": ADMIN},
    ):
        yield Deployment(url, home, editor, viewer, other)


def _as(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_key_create_prints_the_key_last_and_list_shows_no_secret(deployment: Deployment) -> None:
    listed = crmagent("key", "list", "--home", deployment.home)
    assert listed.returncode == 0
    assert "m002, m003" in listed.stdout and "editor" in listed.stdout and "viewer" in listed.stdout
    assert deployment.editor not in listed.stdout and deployment.editor.startswith("crm_")
    refused = crmagent("key", "create", "--merchant", "m001", "--role", "owner", "--home",
                       deployment.home)  # fmt: skip
    assert refused.returncode == 2 and "viewer, editor, admin" in refused.stderr


def test_langserve_refuses_another_merchant_before_any_work(deployment: Deployment) -> None:
    invoke, batch = f"{deployment.url}/crmagent/invoke", f"{deployment.url}/crmagent/batch"
    refused = httpx.post(invoke, json={"input": THEIRS}, headers=_as(deployment.editor))
    assert refused.status_code == 403
    assert "m002" in refused.json()["detail"] and "m001" in refused.json()["detail"]
    mixed = httpx.post(batch, json={"inputs": [OURS, THEIRS]}, headers=_as(deployment.editor))
    assert mixed.status_code == 403
    answer = httpx.post(invoke, json={"input": OURS}, headers=_as(deployment.editor), timeout=120)
    assert answer.status_code == 200
    admin = httpx.post(invoke, json={"input": THEIRS}, headers=_as(ADMIN), timeout=120)
    assert admin.status_code == 200  # CRMAGENT_API_KEYS keys are admin keys for every merchant


def test_another_merchants_templates_show_as_statistics_only(deployment: Deployment) -> None:
    # A merchant with no history in the segment learns from the others' top templates.
    request = {**REQUEST, "merchant_id": "m001", "segment": "vip"}
    admin = httpx.post(
        f"{deployment.url}/crmagent/invoke", json={"input": request}, headers=_as(ADMIN),
        timeout=120,
    ).json()["output"]  # fmt: skip
    foreign = [r for r in admin["references"] if r["merchant_id"] != "m001"]
    assert foreign and all(r["text"] for r in foreign)
    scoped = httpx.post(
        f"{deployment.url}/crmagent/invoke", json={"input": request},
        headers=_as(deployment.editor), timeout=120,
    ).json()["output"]  # fmt: skip
    hidden = [r for r in scoped["references"] if r["merchant_id"] != "m001"]
    assert len(hidden) == len(foreign)
    assert all(r["text"] == "" and r["merchant_id"] == "another merchant" for r in hidden)
    assert [r["similarity"] for r in hidden] == [r["similarity"] for r in foreign]
    cited = {i for p in scoped["patterns"] for i in p["evidence"]}
    assert not cited & {r["template_id"] for r in foreign}


def test_review_queue_over_http_is_scoped_and_roles_hold(deployment: Deployment) -> None:
    reviews = f"{deployment.url}/reviews"
    pending = httpx.post(reviews, json=OURS, headers=_as(deployment.editor), timeout=120).json()
    assert pending["status"] == "pending"
    thread = pending["thread_id"]
    assert httpx.post(reviews, json=THEIRS, headers=_as(deployment.editor)).status_code == 403
    assert httpx.get(f"{reviews}/{thread}", headers=_as(deployment.other)).status_code == 404
    assert thread not in {
        r["thread_id"] for r in httpx.get(reviews, headers=_as(deployment.other)).json()
    }
    assert httpx.get(f"{reviews}/{thread}", headers=_as(deployment.viewer)).status_code == 200
    approve = {"action": "approve"}
    denied = httpx.post(f"{reviews}/{thread}", json=approve, headers=_as(deployment.viewer))
    assert denied.status_code == 403
    done = httpx.post(
        f"{reviews}/{thread}", json=approve, headers=_as(deployment.editor), timeout=120
    ).json()
    assert done["status"] == "approved"
    again = httpx.post(f"{reviews}/{thread}", json=approve, headers=_as(deployment.editor))
    assert again.status_code == 409


def _signed_in(deployment: Deployment, key: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=deployment.url, timeout=120)
    client.post("/signin", data={"key": key, "next": "/data"})
    page = client.get("/data")
    assert page.status_code == 200
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    return client, found.group(1)


def test_pages_keep_merchants_apart(deployment: Deployment) -> None:
    reviews = f"{deployment.url}/reviews"
    ours = httpx.post(reviews, json=OURS, headers=_as(deployment.editor), timeout=120).json()
    client, csrf = _signed_in(deployment, deployment.other)
    assert client.get(f"/results/{ours['thread_id']}").status_code == 404
    assert "m001" not in client.get("/queue").text
    # A form without the session's token is refused, whoever sends it.
    mine, _ = _signed_in(deployment, deployment.editor)
    forged = mine.post(f"/results/{ours['thread_id']}/decide", data={"decision": "approve"})
    assert forged.status_code == 403
    assert httpx.get(f"{reviews}/{ours['thread_id']}", headers=_as(ADMIN)).json()["status"] == (
        "pending"
    )
    profile = client.post(
        "/data/profile", data={"csrf": csrf, "merchant_id": "m001", "brand_voice": "rude"}
    )
    assert profile.status_code == 404


def test_an_import_for_another_merchant_imports_nothing(
    deployment: Deployment, tmp_path: Path
) -> None:
    header = (
        "template_id,merchant_id,segment,channel,voucher_type,voucher_value,product_category,"
        "text,sends,opens,clicks,conversions,sent_at\n"
    )
    row = "{id},{merchant},vip,sms,percent_off,10,apparel,{text},100,50,10,2,2026-10-01\n"
    upload = tmp_path / "templates.csv"
    upload.write_text(
        header
        + row.format(id="x1", merchant="m002", text="Hi from us")
        + row.format(id="x2", merchant="m001", text="Hello from them")
    )
    client, csrf = _signed_in(deployment, deployment.other)
    before = httpx.get(f"{deployment.url}/healthz").status_code
    answer = client.post(
        "/data/import",
        data={"csrf": csrf},
        files={"file": ("templates.csv", upload.read_bytes(), "text/csv")},
    )
    assert before == 200 and answer.status_code == 422
    assert "may not import for m001" in answer.text and "Nothing was imported" in answer.text
    assert "<td>3</td>" in answer.text  # the row, by its line in the file
    listed = crmagent("export", "--home", deployment.home, tmp_path / "all.csv")
    assert listed.returncode == 0 and ",Hi from us," not in (tmp_path / "all.csv").read_text()


def test_a_revoked_key_stops_at_once(deployment: Deployment) -> None:
    key = new_key(deployment.home, "--merchant", "m001", "--role", "viewer", "--label", "temp")
    assert httpx.get(f"{deployment.url}/reviews", headers=_as(key)).status_code == 200
    key_id = key.split("_")[1]
    assert crmagent("key", "revoke", key_id, "--home", deployment.home).returncode == 0
    assert httpx.get(f"{deployment.url}/reviews", headers=_as(key)).status_code == 401
    assert crmagent("key", "revoke", key_id, "--home", deployment.home).returncode == 2


def test_a_batch_with_review_fills_the_queue(deployment: Deployment, tmp_path: Path) -> None:
    source, target = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    source.write_text(
        "\n".join(
            json.dumps({**OURS, "id": f"b{n}", "channel": c}) for n, c in ((1, "sms"), (2, "push"))
        )
    )
    ran = crmagent("batch", source, target, "--review", "--home", deployment.home)
    assert ran.returncode == 0, ran.stderr
    assert [json.loads(line)["error"] for line in target.read_text().splitlines()] == [
        "awaiting review",
        "awaiting review",
    ]
    queue = httpx.get(f"{deployment.url}/reviews", headers=_as(deployment.editor)).json()
    batched = [r for r in queue if r["thread_id"].startswith("batch:")]
    assert sorted(r["result"]["id"] for r in batched) == ["b1", "b2"]
    done = httpx.post(
        f"{deployment.url}/reviews/{batched[0]['thread_id']}",
        json={"action": "approve"},
        headers=_as(deployment.editor),
        timeout=120,
    ).json()
    assert done["status"] == "approved"


def test_two_decisions_at_once_one_wins_and_another_draft_is_once(
    deployment: Deployment,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    reviews = f"{deployment.url}/reviews"
    thread = httpx.post(reviews, json=OURS, headers=_as(deployment.editor), timeout=120).json()[
        "thread_id"
    ]
    again = httpx.post(
        f"{reviews}/{thread}", json={"action": "another"}, headers=_as(deployment.editor),
        timeout=120,
    )  # fmt: skip
    assert again.status_code == 200 and again.json()["status"] == "pending"
    refused = httpx.post(
        f"{reviews}/{thread}", json={"action": "another"}, headers=_as(deployment.editor)
    )
    assert refused.status_code == 409 and "already" in refused.json()["detail"]

    def decide(action: str) -> httpx.Response:
        return httpx.post(
            f"{reviews}/{thread}", json={"action": action, "reason": "no"},
            headers=_as(deployment.editor), timeout=120,
        )  # fmt: skip

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(decide, ["approve", "reject"]))
    assert sorted(a.status_code for a in answers) == [200, 409]
    winner = next(a for a in answers if a.status_code == 200).json()["status"]
    final = httpx.get(f"{reviews}/{thread}", headers=_as(deployment.editor)).json()["status"]
    assert winner == final and final in {"approved", "rejected"}
