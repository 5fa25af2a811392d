"""The ways in as a user runs them: `crmagent demo`, `generate`, `batch` (killed and
resumed), Python, and the graph that `langgraph.json` points at."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from arena.world import build_world
from tests.checkpointed import checkpoints, home, test_a_review_resumes_in_another_process
from tests.integration.cli import crmagent
from tools.crm.store import Store

__all__ = ["checkpoints", "home", "test_a_review_resumes_in_another_process"]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cli")
    build_world(home, seed=3)
    return home


def requests(world: Path, count: int) -> list[dict[str, Any]]:
    with Store(world / "crm.sqlite") as store:
        return [store.replay_request(r, id=None) for r in store.templates()[:count]]


def test_demo_shows_all_three_modes(crmagent_home: Path) -> None:
    result = crmagent("demo")
    assert result.returncode == 0, result.stderr
    for mode in ("mode group", "mode retrieval", "mode rules"):
        assert mode in result.stdout
    assert "not group: too little own history" in result.stdout
    assert "predicted conversion" in result.stdout and "rules passed" in result.stdout
    assert (crmagent_home / "demo" / "crm.sqlite").exists()


def test_generate_from_a_file_prints_the_contract(world: Path, tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps({**requests(world, 1)[0], "id": "campaign-7"}))
    result = crmagent("generate", "--request", request, "--json", "--home", world)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["id"] == "campaign-7" and data["mode"] in {"group", "retrieval", "rules"}
    assert data["rule_report"]["passed"] and data["template"]["body"]


def test_generate_with_flags_and_a_bad_request(world: Path) -> None:
    good = crmagent(
        "generate",
        "--merchant-id",
        "m001",
        "--segment",
        "vip",
        "--channel",
        "sms",
        "--voucher-type",
        "percent_off",
        "--voucher-value",
        "15",
        "--category",
        "home>kitchen",
        "--product",
        "Dutch Oven",
        "--home",
        world,
    )
    assert good.returncode == 0, good.stderr
    assert "15%" in good.stdout and "Dutch Oven" in good.stdout
    bad = crmagent(
        "generate",
        "--merchant-id",
        "m001",
        "--segment",
        "vip",
        "--channel",
        "fax",
        "--voucher-type",
        "percent_off",
        "--voucher-value",
        "150",
        "--category",
        "home",
        "--product",
        "Oven",
        "--home",
        world,
    )
    assert bad.returncode == 2
    assert "channel" in bad.stderr and "voucher" in bad.stderr


def test_batch_keeps_one_line_per_request_through_a_kill(world: Path, tmp_path: Path) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [json.dumps(r) for r in requests(world, 40)]
    lines[5] = "{not json"
    lines[9] = json.dumps({**json.loads(lines[9]), "channel": "fax", "id": "bad-channel"})
    source.write_text("\n".join(lines) + "\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "crmagent", "batch", str(source), str(target), "--home", str(world)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (
        not target.exists() or target.read_text().count("\n") < 20
    ):
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    partial = target.read_text().count("\n")
    assert 0 < partial < 40, "the batch should have been killed mid-way"

    resumed = crmagent("batch", source, target, "--home", world)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{partial} already done" in resumed.stdout
    out = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(out) == 40
    assert [o["id"] for o in out] == ["bad-channel" if i == 9 else str(i + 1) for i in range(40)]
    assert "not JSON" in out[5]["error"]
    assert "channel" in out[9]["error"]
    assert all("template" in o for i, o in enumerate(out) if i not in {5, 9})


def test_a_merchants_profile_set_from_the_command_line_binds_every_run(
    world: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(world / "crm.sqlite", home / "crm.sqlite")
    voucher = {"type": "percent_off", "value": 20, "code": "SAVE20"}
    request = {**requests(world, 1)[0], "voucher": voucher}
    merchant_id = request["merchant_id"]
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps(request) + "\n")

    def batch() -> dict[str, Any]:
        target.unlink(missing_ok=True)
        done = crmagent("batch", source, target, "--home", home)
        assert done.returncode == 0, done.stderr
        line: dict[str, Any] = json.loads(target.read_text())
        return line

    shown = crmagent("merchant", merchant_id, "--home", home)
    assert shown.returncode == 0, shown.stderr
    assert "max discount 40%, forbidden words: none" in shown.stdout
    first = batch()["template"]["body"]
    # a word of the copy, not of the product, the offer or a placeholder, to forbid
    word = next(
        w
        for w in re.findall(r"(?<![{])\b[A-Za-z]{5,}\b(?![}])", first)
        if w.lower() not in request["product_name"].lower()
    )

    changed = crmagent(
        "merchant",
        merchant_id,
        "--max-discount",
        "15",
        "--forbidden-words",
        f"{word.upper()}, cheap",
        "--home",
        home,
    )
    assert changed.returncode == 0, changed.stderr
    assert f"max discount 15%, forbidden words: {word.upper()}, cheap" in changed.stdout
    profile = json.loads(crmagent("merchant", merchant_id, "--json", "--home", home).stdout)
    assert profile["max_discount"] == 15 and profile["forbidden_words"] == [word.upper(), "cheap"]
    # the same batch again answers afresh: the cap now refuses the offer
    assert "above merchant m001's max discount of 15%" in batch()["error"]

    crmagent("merchant", merchant_id, "--max-discount", "none", "--home", home)
    written = batch()
    assert word.lower() not in written["template"]["body"].lower()
    assert written["rule_report"]["passed"]

    for args, problem in [
        (("--max-discount", "150"), "max_discount: Input should be less than or equal to 100"),
        (("--max-discount", "lots"), "max_discount: Input should be a valid number"),
    ]:
        refused = crmagent("merchant", merchant_id, *args, "--home", home)
        assert refused.returncode == 2 and problem in refused.stderr
    unknown = crmagent("merchant", "m-typo", "--home", home)
    assert unknown.returncode == 2 and "m-typo is not in the store" in unknown.stderr


def test_a_model_that_cannot_be_built_stops_a_batch_a_server_or_the_arena_before_it_starts(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A batch line once written counts as done on a rerun: a missing model file must not
    # turn every request into an error line that the fixed rerun would then skip.
    source = tmp_path / "requests.jsonl"
    source.write_text(json.dumps(requests(world, 1)[0]) + "\n")
    target = tmp_path / "results.jsonl"
    missing = tmp_path / "nowhere.gguf"
    monkeypatch.setenv("CRMAGENT_MODEL", f"gguf:{missing}")
    stopped = crmagent("batch", source, target, "--home", world)
    assert stopped.returncode == 2
    assert f"the analyst model 'gguf:{missing}' cannot be used" in stopped.stderr
    assert "no such file" in stopped.stderr and not target.exists()
    # A role's own model is checked too, and a server refuses to start on it.
    monkeypatch.setenv("CRMAGENT_MODEL", "offline")
    monkeypatch.setenv("CRMAGENT_JUDGE_MODEL", "nosuch:grader")
    refused = crmagent("serve", "--port", "1", "--home", world, timeout=60)
    assert refused.returncode == 2
    assert "the judge model 'nosuch:grader' cannot be used" in refused.stderr
    # The arena's model variant, before any world is built or variant run.
    monkeypatch.setenv("CRMAGENT_MODEL", f"gguf:{missing}")
    arena = crmagent("arena", "run", "--seed", "1", "--tasks", "3", "--home", tmp_path / "a")
    assert arena.returncode == 2 and "no such file" in arena.stderr
    assert not (tmp_path / "a").exists()


def test_python_api_and_studio_graph(world: Path) -> None:
    from crmagent import generate, generate_batch

    first, second = requests(world, 2)
    result = generate(first, home=str(world))
    assert result.rule_report.passed
    batch = generate_batch([first, {**second, "segment": "Not A Segment"}], home=str(world))
    assert batch[0] == result.model_copy(update={"id": None}) or batch[0].mode == result.mode
    assert "segment" in batch[1].error  # type: ignore[union-attr]
    config = json.loads((ROOT / "langgraph.json").read_text())
    module_path, name = config["graphs"]["crmagent"].split(":")
    code = (
        f"import importlib.util as u; s = u.spec_from_file_location('g', {module_path!r}); "
        f"m = u.module_from_spec(s); s.loader.exec_module(m); print(type(m.{name}).__name__)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert loaded.stdout.strip() == "CompiledStateGraph", loaded.stderr
