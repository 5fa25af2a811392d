"""Real campaigns (store-wide, category-wide, no offer) in all three modes, from Python and
the command line, on the sample world; LangServe and `langgraph dev` run the same requests
in their own tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from arena.world import build_world
from crmagent.api import generate
from tests.integration.cli import crmagent
from tests.requests import REAL_CAMPAIGNS, assert_natural

RICH = {"merchant_id": "m037", "segment": "new_customer"}
"""A merchant rich in history in the segment (group learning runs)."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("real")
    build_world(home, seed=1)
    return home


@pytest.mark.parametrize("kind", sorted(REAL_CAMPAIGNS))
@pytest.mark.parametrize(
    ("mode", "changes", "settings"),
    [
        ("group", RICH, {}),
        ("retrieval", {}, {"similarity_threshold": 0.3}),
        ("rules", {}, {"modes": ["rules"]}),
    ],
)
def test_each_real_campaign_reads_naturally_in_each_mode(
    world: Path, kind: str, mode: str, changes: dict[str, Any], settings: dict[str, Any]
) -> None:
    request = {**REAL_CAMPAIGNS[kind], **changes}
    result = generate(request, home=str(world), **settings)
    assert result.mode == mode, result.fallback_trail
    assert_natural(kind, request, result.model_dump(mode="json"))


def test_the_command_line_and_a_home_with_nothing_imported(world: Path, tmp_path: Path) -> None:
    for kind, request in REAL_CAMPAIGNS.items():
        path = tmp_path / f"{kind}.json"
        path.write_text(json.dumps(request))
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "crmagent",
                "generate",
                "--request",
                path,
                "--json",
                "--home",
                world,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        assert_natural(kind, request, json.loads(run.stdout))
    # A fresh home: nothing imported, the folder not even there. Rules mode, and why.
    fresh = tmp_path / "new-shop"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "crmagent",
            "generate",
            "--merchant-id",
            "my-shop",
            "--segment",
            "vip",
            "--channel",
            "sms",
            "--voucher-type",
            "percent_off",
            "--voucher-value",
            "15",
            "--category",
            "home>candles",
            "--json",
            "--home",
            fresh,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["mode"] == "rules" and "not in the store" in result["fallback_trail"][0]["reason"]
    assert (
        result["template"]["body"].startswith("{shop_name}: ")
        and "15%" in result["template"]["body"]
    )


def test_a_merchant_profile_sets_the_merge_field_style(tmp_path: Path) -> None:
    home = tmp_path / "shop"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return crmagent(*args, "--home", home)

    assert cli("merchant", "shop1", "--name", "Knix", "--merge-fields", "mailchimp").returncode == 0
    refused = cli("merchant", "shop1", "--merge-fields", "klaviyo")
    assert refused.returncode == 2 and "merge_fields" in refused.stderr
    run = cli(
        "generate",
        "--merchant-id",
        "shop1",
        "--segment",
        "vip",
        "--channel",
        "sms",
        "--category",
        "home",
        "--original",
        "Hi there, your points expire soon",
        "--json",
    )
    result = json.loads(run.stdout)
    assert result["merge_syntax"] == "mailchimp"
    assert result["template"]["body"].startswith("Knix: Hi *|FNAME|*, your points expire soon")


def test_a_batch_in_a_fresh_home_creates_its_store_once(tmp_path: Path) -> None:
    # Two workers open the new store at once: its schema is created by one of them only.
    from crmagent.api import BatchError, generate_batch

    requests = [{**REAL_CAMPAIGNS[kind], "id": kind} for kind in sorted(REAL_CAMPAIGNS)] * 3
    results = generate_batch(requests, home=str(tmp_path / "new"), max_concurrency=2)
    assert not [r for r in results if isinstance(r, BatchError)]
