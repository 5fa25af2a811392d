"""LangGraph Studio's server: `langgraph dev` serves the graph from langgraph.json, offline,
and runs it through its HTTP API (a thread, /runs/wait, /runs/stream, a review resumed)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from arena.world import build_world
from tests.integration.servers import free_port, running
from tests.requests import REAL_CAMPAIGNS, REQUEST, assert_natural


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("studio")
    build_world(home, seed=1)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    langgraph = Path(sys.executable).parent / "langgraph"
    env = {
        "CRMAGENT_HOME": str(home),
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGSMITH_TRACING": "false",
    }
    with running(
        [
            str(langgraph),
            "dev",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-browser",
            "--no-reload",
        ],
        f"{url}/ok",
        env,
        timeout=180,
    ):
        yield url, home


def test_run_wait_in_a_thread(studio: tuple[str, Path]) -> None:
    url, _ = studio
    thread = httpx.post(f"{url}/threads", json={}).json()["thread_id"]
    result = httpx.post(
        f"{url}/threads/{thread}/runs/wait",
        json={"assistant_id": "crmagent", "input": REQUEST},
        timeout=120,
    ).json()
    assert result["mode"] == "retrieval" and result["rule_report"]["passed"]
    assert result["template"]["body"].endswith("Reply STOP to opt out.")
    assert "BACK20" in json.dumps(result) or "20%" in result["template"]["body"]


def test_stream_updates_names_each_node(studio: tuple[str, Path]) -> None:
    url, _ = studio
    with httpx.stream(
        "POST",
        f"{url}/runs/stream",
        timeout=120,
        json={
            "assistant_id": "crmagent",
            "input": REQUEST,
            "stream_mode": "updates",
        },
    ) as response:
        events = [
            line.removeprefix("data: ")
            for line in response.iter_lines()
            if line.startswith("data: ")
        ]
    nodes = {
        key for event in events for key in json.loads(event) if isinstance(json.loads(event), dict)
    }
    assert {
        "analyze_segment",
        "retrieve",
        "extract_patterns",
        "adapt_template",
        "check_rules",
        "write_guidance",
        "evaluate",
    } <= nodes


def test_review_over_http(studio: tuple[str, Path]) -> None:
    url, home = studio
    thread = httpx.post(f"{url}/threads", json={}).json()["thread_id"]
    run = {
        "assistant_id": "crmagent",
        "input": REQUEST,
        "context": {"require_approval": True, "home": str(home)},
    }
    paused = httpx.post(f"{url}/threads/{thread}/runs/wait", json=run, timeout=120).json()
    (interrupt,) = paused["__interrupt__"]
    assert interrupt["value"]["rule_report"]["passed"]
    assert set(interrupt["value"]["actions"]) == {"approve", "edit", "reject", "discard"}
    edited = (
        "Meadow House: Take 20% off the Trail runner X with BACK20: {link} Reply STOP to opt out."
    )
    done = httpx.post(
        f"{url}/threads/{thread}/runs/wait",
        timeout=120,
        json={
            "assistant_id": "crmagent",
            "command": {"resume": {"action": "edit", "body": edited}},
            "context": {"require_approval": True, "home": str(home)},
        },
    ).json()
    assert done["review"]["status"] == "edited" and done["template"]["body"] == edited


def test_real_campaigns_through_the_studio_server(studio: tuple[str, Path]) -> None:
    url, _ = studio
    for kind, request in REAL_CAMPAIGNS.items():
        thread = httpx.post(f"{url}/threads", json={}).json()["thread_id"]
        result = httpx.post(
            f"{url}/threads/{thread}/runs/wait",
            json={"assistant_id": "crmagent", "input": request},
            timeout=120,
        ).json()
        assert_natural(kind, request, result)
