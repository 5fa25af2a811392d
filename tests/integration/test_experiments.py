"""Experiments as a merchant runs them: a generated variant against the current message,
results imported under the arms' template ids, where it stands, the next split, shipping
the winner, and the arms in the history the next generation reads; and the same over HTTP
with keys scoped to merchants."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arena.world import build_world
from crmagent.service import create_app
from graph.context import Context
from tests.integration.cli import crmagent
from tests.requests import REQUEST
from tools.crm import IMPORT_COLUMNS, access_for
from tools.crm.store import Store


def _results_csv(path: Path, request: dict[str, object], arms: dict[str, tuple[int, ...]]) -> Path:
    """Statistics of the arms as the merchant's CRM exports them: ``template_id: (sends,
    conversions, unsubscribes)``."""
    voucher = request["voucher"]
    assert isinstance(voucher, dict)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(IMPORT_COLUMNS))
        writer.writeheader()
        for template_id, (sends, conversions, unsubscribes) in arms.items():
            writer.writerow(
                {
                    "template_id": template_id,
                    "merchant_id": request["merchant_id"],
                    "segment": request["segment"],
                    "channel": request["channel"],
                    "voucher_type": voucher["type"],
                    "voucher_value": voucher["value"],
                    "code": voucher["code"],
                    "expires": voucher["expires"],
                    "product_category": request["product_category"],
                    "text": f"The message sent as {template_id}",
                    "sends": sends,
                    "opens": sends // 3,
                    "clicks": sends // 10,
                    "conversions": conversions,
                    "revenue": conversions * 45.0,
                    "unsubscribes": unsubscribes,
                    "sent_at": "2026-11-01",
                }
            )
    return path


def test_generate_then_test_then_ship_and_the_arms_become_history(tmp_path: Path) -> None:
    home = tmp_path / "home"
    build_world(home, seed=1)
    request = {**REQUEST, "merchant_id": "m001", "original_template": "We miss you! 20% off."}
    request_file = tmp_path / "request.json"
    request_file.write_text(json.dumps(request))
    generated = crmagent("generate", "--request", request_file, "--json", "--home", home)
    assert generated.returncode == 0, generated.stderr
    results = tmp_path / "result.json"
    results.write_text(generated.stdout)

    made = crmagent(
        "experiment", "create", "--from", results, "--request", request_file, "--home", home
    )
    assert made.returncode == 0, made.stderr
    experiment = made.stdout.strip().splitlines()[-1]
    control, variant = f"exp-{experiment}-a0", f"exp-{experiment}-a1"
    assert control in made.stdout and variant in made.stdout

    # Nothing sent yet: the split is even, but for the posterior draws' noise.
    first = crmagent("experiment", "next", experiment, "--sends", "2000", "--json", "--home", home)
    assert first.returncode == 0, first.stderr
    even = [p["sends"] for p in json.loads(first.stdout)["split"]]
    assert sum(even) == 2000 and abs(even[0] - 1000) < 40

    # Round one comes back from the CRM: 2.0% vs 4.0% on 1,000 sends each.
    round_one = _results_csv(
        tmp_path / "round1.csv", request, {control: (1000, 20, 1), variant: (1000, 40, 2)}
    )
    assert crmagent("ingest", round_one, "--home", home).returncode == 0
    status = crmagent("experiment", "status", experiment, "--json", "--home", home)
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    arms = {arm["name"]: arm for arm in shown["arms"]}
    assert arms["variant-1"]["source"] == "import" and arms["variant-1"]["sends"] == 1000
    assert arms["variant-1"]["p_best"] > 0.99 and arms["variant-1"]["guardrail"] == "ok"
    assert arms["control"]["rate_low"] < 0.02 < arms["control"]["rate_high"]
    assert shown["recommendation"]["action"] == "ship"
    assert shown["recommendation"]["arm"] == "variant-1"
    table = crmagent("experiment", "status", experiment, "--home", home)
    assert "Recommendation: stop: ship variant-1" in " ".join(table.stdout.split())

    split = crmagent("experiment", "next", experiment, "--sends", "5000", "--json", "--home", home)
    decided = json.loads(split.stdout)
    assert [p["sends"] for p in decided["split"]] == [0, 5000] and decided["decided"]
    told = crmagent("experiment", "next", experiment, "--sends", "5000", "--home", home)
    assert f"crmagent experiment ship {experiment} ARM" in " ".join(told.stdout.split())

    # Hand-recorded results cannot double an imported arm.
    twice = crmagent(
        "experiment", "record", experiment, "variant-1", "--sends", "10", "--conversions", "1",
        "--home", home,
    )  # fmt: skip
    assert twice.returncode == 2 and "crmagent ingest" in twice.stderr

    shipped = crmagent("experiment", "ship", experiment, "variant-1", "--home", home)
    assert shipped.returncode == 0 and f"shipped variant-1 ({variant})" in shipped.stdout
    again = crmagent("experiment", "stop", experiment, "--reason", "late", "--home", home)
    assert again.returncode == 2 and "already shipped" in again.stderr

    # The arms are the segment's history now: the next generation learns from them.
    with Store(home / "crm.sqlite") as store:
        learned = {r.template_id for r in store.templates("m001", REQUEST["segment"])}
    assert {control, variant} <= learned
    # ... and its guidance cites the test, with the arms as evidence.
    regenerated = crmagent("generate", "--request", request_file, "--json", "--home", home)
    assert regenerated.returncode == 0, regenerated.stderr
    cited = [
        step
        for step in json.loads(regenerated.stdout)["guidance"]
        if f"A/B test #{experiment}" in step["text"]
    ]
    assert len(cited) == 1 and "you shipped variant-1" in cited[0]["text"]
    assert "variant-1 4.00% on 1,000 sends" in cited[0]["text"]
    assert cited[0]["evidence"] == [control, variant]


def test_experiment_create_from_flags_refuses_what_is_missing(tmp_path: Path) -> None:
    missing = crmagent(
        "experiment", "create", "--merchant", "m1", "--segment", "vip", "--channel", "sms",
        "--variant-text", "New", "--home", tmp_path,
    )  # fmt: skip
    assert missing.returncode == 2 and "--control-text" in missing.stderr
    result = tmp_path / "r.jsonl"
    result.write_text(json.dumps({"id": "1", "template": {"body": "New"}}) + "\n")
    no_campaign = crmagent("experiment", "create", "--from", result, "--home", tmp_path)
    assert no_campaign.returncode == 2 and "--request" in no_campaign.stderr


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.delenv("CRMAGENT_API_KEYS", raising=False)
    return TestClient(create_app(Context(home=str(tmp_path))))


def test_experiments_over_http_keep_to_the_keys_merchants_and_roles(
    client: TestClient, tmp_path: Path
) -> None:
    access = access_for(tmp_path)
    editor = {"X-API-Key": access.create_key(["m1"], "editor")}
    viewer = {"X-API-Key": access.create_key(["m1"], "viewer")}
    other = {"X-API-Key": access.create_key(["m2"], "editor")}
    body = {
        "merchant_id": "m1",
        "segment": "lapsed_90d",
        "channel": "email",
        "control": {"subject": "We miss you", "body": "Come back for 20% off."},
        "variants": [{"subject": "Still there?", "body": "Your 20% off ends Sunday."}],
    }
    assert client.post("/experiments", json=body).status_code == 401
    assert client.post("/experiments", json=body, headers=viewer).status_code == 403
    assert client.post("/experiments", json=body, headers=other).status_code == 403
    made = client.post("/experiments", json=body, headers=editor)
    assert made.status_code == 200, made.text
    number = made.json()["experiment_id"]
    assert [a["template_id"] for a in made.json()["arms"]] == [
        f"exp-{number}-a0",
        f"exp-{number}-a1",
    ]

    # Another merchant's key finds nothing: not in its list, 404 on every route.
    assert client.get("/experiments", headers=other).json() == []
    for method, path, payload in [
        ("GET", f"/experiments/{number}", None),
        ("GET", f"/experiments/{number}/next?sends=100", None),
        (
            "POST",
            f"/experiments/{number}/results",
            {"arm": "control", "sends": 1, "conversions": 0},
        ),
        ("POST", f"/experiments/{number}/stop", {"reason": "no"}),
        ("POST", f"/experiments/{number}/ship", {"arm": "control"}),
    ]:
        answer = client.request(method, path, json=payload, headers=other)
        assert answer.status_code == 404, (path, answer.text)

    # A viewer reads but cannot record, stop or ship.
    assert [e["experiment_id"] for e in client.get("/experiments", headers=viewer).json()] == [
        number
    ]
    results = {"arm": "variant-1", "sends": 1000, "conversions": 40, "unsubscribes": 2}
    refused = client.post(f"/experiments/{number}/results", json=results, headers=viewer)
    assert refused.status_code == 403 and "viewer" in refused.json()["detail"]
    for path, payload in [("stop", {"reason": "x"}), ("ship", {"arm": "control"})]:
        answer = client.post(f"/experiments/{number}/{path}", json=payload, headers=viewer)
        assert answer.status_code == 403

    # The editor records both arms; the viewer reads the verdict and the split.
    recorded = client.post(f"/experiments/{number}/results", json=results, headers=editor)
    assert recorded.status_code == 200, recorded.text
    control = {"arm": "control", "sends": 1000, "conversions": 20, "unsubscribes": 1}
    client.post(f"/experiments/{number}/results", json=control, headers=editor)
    status = client.get(f"/experiments/{number}?seed=3", headers=viewer).json()
    assert status["recommendation"] == {
        "action": "ship",
        "arm": "variant-1",
        "guardrail_stopped": [],
        "reason": status["recommendation"]["reason"],
    }
    split = client.get(f"/experiments/{number}/next?sends=1000", headers=viewer).json()
    # Decided: every send goes to the winner, the control's floor no longer paid.
    assert [p["sends"] for p in split["split"]] == [0, 1000] and split["decided"]
    wrong = client.post(
        f"/experiments/{number}/results", json={**control, "conversions": 2000}, headers=editor
    )
    assert wrong.status_code == 422 and "conversions (2000) > sends (1000)" in wrong.text

    shipped = client.post(f"/experiments/{number}/ship", json={"arm": "variant-1"}, headers=editor)
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    late = client.post(f"/experiments/{number}/stop", json={"reason": "x"}, headers=editor)
    assert late.status_code == 409 and "already shipped" in late.json()["detail"]


def test_generate_variants_then_one_experiment_of_them(tmp_path: Path) -> None:
    """`generate --variants 3`: the main template and the variants, each with the hypothesis
    it tests, printed and in the JSON; `experiment create --from` makes them one experiment
    against the merchant's original."""
    home = tmp_path / "world"
    build_world(home, seed=1)
    with Store(home / "crm.sqlite") as store:
        request = store.replay_request(store.templates()[0], id="campaign-41")
    request_file = tmp_path / "request.json"
    request_file.write_text(json.dumps(request))
    shown = crmagent("generate", "--request", request_file, "--variants", "3", "--home", home)
    assert shown.returncode == 0, shown.stderr
    generated = crmagent(
        "generate", "--request", request_file, "--variants", "3", "--json", "--home", home
    )
    assert generated.returncode == 0, generated.stderr
    result = json.loads(generated.stdout)
    variants = result["variants"]
    assert 1 <= len(variants) <= 2
    assert (len(variants) < 2) == (result["variants_note"] is not None)
    bodies = [result["template"]["body"], *(v["template"]["body"] for v in variants)]
    assert len(set(bodies)) == len(bodies)
    for number, variant in enumerate(variants, start=1):
        assert variant["rule_report"]["passed"] and variant["scores"]["predicted_cvr_low"]
        assert f"{variant['confidence']:.0%} sure" in variant["hypothesis"]
        assert f"variant {number}: {variant['feature']}" in shown.stdout
        assert variant["hypothesis"][:40] in " ".join(shown.stdout.split())
    one = crmagent("generate", "--request", request_file, "--json", "--home", home)
    assert json.loads(one.stdout)["variants"] == []

    results = tmp_path / "result.json"
    results.write_text(generated.stdout)
    made = crmagent(
        "experiment", "create", "--from", results, "--request", request_file, "--home", home
    )
    assert made.returncode == 0, made.stderr
    experiment = made.stdout.strip().splitlines()[-1]
    status = json.loads(
        crmagent("experiment", "status", experiment, "--json", "--home", home).stdout
    )
    arms = [arm["body"] for arm in status["arms"]]
    assert arms == [request["original_template"], *bodies]
    assert [arm["name"] for arm in status["arms"]][:2] == ["control", "variant-1"]
