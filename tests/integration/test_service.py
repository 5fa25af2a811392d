"""`crmagent serve`: the LangServe endpoint on a real uvicorn server on loopback, called with
LangServe's own client and with plain HTTP."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import httpx
import pytest
from langserve import RemoteRunnable

from arena.world import build_world
from tests.integration.servers import free_port, running
from tests.requests import REAL_CAMPAIGNS, REQUEST, assert_natural

pytestmark = pytest.mark.reliability

KEY = "test-key-123"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("service")
    build_world(home, seed=1)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(
        [sys.executable, "-m", "crmagent", "serve", "--port", str(port)],
        f"{url}/healthz",
        {"CRMAGENT_HOME": str(home), "CRMAGENT_API_KEYS": f"other-key,{KEY}"},
    ):
        yield url


def test_invoke_with_langserve_client(service: str) -> None:
    client = RemoteRunnable(f"{service}/crmagent", headers={"Authorization": f"Bearer {KEY}"})
    result = client.invoke(REQUEST)
    assert result["mode"] in {"group", "retrieval", "rules"}
    assert result["rule_report"]["passed"] and "20%" in result["template"]["body"]
    batch = client.batch([REQUEST, {**REQUEST, "channel": "email"}])
    assert [b["template"]["subject"] is None for b in batch] == [True, False]


def test_plain_http_auth_and_errors(service: str) -> None:
    invoke = f"{service}/crmagent/invoke"
    assert httpx.get(f"{service}/healthz").json()["ok"] is True
    assert httpx.post(invoke, json={"input": REQUEST}).status_code == 401
    assert (
        httpx.post(
            invoke, json={"input": REQUEST}, headers={"Authorization": "Bearer wrong"}
        ).status_code
        == 401
    )
    answer = httpx.post(invoke, json={"input": REQUEST}, headers={"X-API-Key": KEY}, timeout=60)
    assert answer.status_code == 200
    assert answer.json()["output"]["fallback_trail"][0]["mode"] == "group"
    bad = httpx.post(
        invoke, json={"input": {**REQUEST, "channel": "fax"}}, headers={"X-API-Key": KEY}
    )
    assert bad.status_code == 422
    assert any(e["loc"][-1] == "channel" for e in bad.json()["detail"])
    huge = httpx.post(
        invoke,
        content=b"x" * 300_000,
        headers={"X-API-Key": KEY, "content-type": "application/json"},
    )
    assert huge.status_code == 413
    page = httpx.get(f"{service}/crmagent/playground/", headers={"X-API-Key": KEY})
    assert page.status_code == 200 and "<html" in page.text.lower()
    schema = httpx.get(f"{service}/crmagent/input_schema", headers={"X-API-Key": KEY}).json()
    assert {"merchant_id", "voucher", "product_name"} <= set(schema["properties"])


def test_service_binds_loopback_by_default() -> None:
    import inspect

    from crmagent import cli

    assert inspect.signature(cli.serve).parameters["host"].default == "127.0.0.1"


def test_real_campaigns_over_langserve(service: str) -> None:
    client = RemoteRunnable(f"{service}/crmagent", headers={"Authorization": f"Bearer {KEY}"})
    kinds = sorted(REAL_CAMPAIGNS)
    for kind, result in zip(kinds, client.batch([REAL_CAMPAIGNS[k] for k in kinds]), strict=True):
        assert_natural(kind, REAL_CAMPAIGNS[kind], result)
