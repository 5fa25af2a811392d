"""`crmagent batch --ray` on a real local Ray cluster (two CPUs, loopback only, one cluster
for the module): the same output as one process, through a killed worker and a killed
driver, every line exactly once."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arena.world import build_world
from crmagent.batch import BatchReport, run_batch
from crmagent.cli import app
from graph.context import Context
from tests.integration.cli import crmagent
from tools.crm.store import Store

ray = pytest.importorskip("ray")
psutil = pytest.importorskip("psutil")


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A local Ray cluster of two CPUs on 127.0.0.1, for the module; its address."""
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        logging_level=logging.WARNING,
    )
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small arena world and its batch: 38 requests over 18 merchants' segments, a line
    that is not JSON among them, and the single-process output (which also builds the
    index, so that the runs on Ray share it)."""
    home = tmp_path_factory.mktemp("ray-world")
    build_world(home, seed=3, merchants=10)
    with Store(home / "crm.sqlite") as store:
        records = store.templates()
        lines = [json.dumps(store.replay_request(r, id=None)) for r in records[::8]]
    lines.insert(7, "{not json")
    (home / "in.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CRMAGENT_MODEL", "offline")
        run_batch(home / "in.jsonl", home / "single.jsonl", context=Context(home=str(home)))
    return home


def test_requests_span_several_shards(world: Path) -> None:
    lines = (world / "in.jsonl").read_text().splitlines()
    requests = [json.loads(line) for line in lines if line != "{not json"]
    assert len({(r["merchant_id"], r["segment"]) for r in requests}) == 18


def test_a_batch_on_two_workers_writes_what_one_process_writes(
    cluster: str, world: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out.jsonl"
    context = Context(home=str(world))
    report = run_batch(world / "in.jsonl", target, context=context, ray="auto", workers=2)
    assert (report.total, report.written, report.skipped, report.errors) == (39, 39, 0, 1)
    assert target.read_text() == (world / "single.jsonl").read_text()
    assert not (tmp_path / "out.jsonl.parts").exists()


def _workers_running() -> list[int]:
    """The batch actors' processes busy answering a chunk."""
    return [
        p.pid
        for p in psutil.process_iter(["cmdline"])
        if (p.info["cmdline"] or [""])[0].startswith("ray::BatchWorker.answer")
    ]


def test_a_worker_killed_mid_batch_loses_and_repeats_nothing(
    cluster: str, world: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out.jsonl"
    journal = tmp_path / "out.jsonl.parts"
    reports: list[BatchReport] = []

    def batch() -> None:
        context = Context(home=str(world))
        reports.append(run_batch(world / "in.jsonl", target, context=context, chunk=4, ray="auto"))

    runner = threading.Thread(target=batch)
    runner.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (
        journal.exists() and journal.read_bytes().count(b"\n") >= 6 and _workers_running()
    ):
        time.sleep(0.05)
    busy = _workers_running()
    assert busy, "no worker was answering"
    os.kill(busy[0], signal.SIGKILL)
    answered_then = journal.read_bytes().count(b"\n")
    runner.join(timeout=180)
    assert not runner.is_alive()
    assert answered_then < 39, "the worker should have been killed mid-batch"
    assert reports[0].written == 39 and reports[0].errors == 1
    assert target.read_text() == (world / "single.jsonl").read_text()
    assert not journal.exists()


def test_a_rerun_after_a_killed_driver_answers_only_the_missing_lines(
    cluster: str, world: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out.jsonl"
    journal = tmp_path / "out.jsonl.parts"
    args = ["batch", world / "in.jsonl", target, "--ray", cluster, "--workers", "2"]
    args += ["--home", world]
    driver = subprocess.Popen(
        [sys.executable, "-m", "crmagent", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (
        not journal.exists() or journal.read_bytes().count(b"\n") < 12
    ):
        time.sleep(0.05)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    data = journal.read_bytes()
    journaled = {line.split(b"\t")[0] for line in data[: data.rfind(b"\n")].splitlines()}
    assert 0 < len(journaled) < 39, "the driver should have been killed mid-batch"
    written = target.read_bytes().count(b"\n")

    rerun = crmagent(*args)
    assert rerun.returncode == 0, rerun.stderr
    done = len(journaled)
    assert f"{39 - done} line(s) written (0 error line(s)), {done} already done" in rerun.stdout
    assert done >= written
    assert target.read_text() == (world / "single.jsonl").read_text()
    assert not journal.exists()


def test_without_ray_the_command_names_the_extra(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    args = ["batch", str(world / "in.jsonl"), str(tmp_path / "out.jsonl"), "--ray", "auto"]
    ran = CliRunner().invoke(app, [*args, "--home", str(world)])
    assert ran.exit_code == 2
    assert "needs the ray extra: pip install 'crmagent[ray]'" in ran.output
    assert not (tmp_path / "out.jsonl").exists()
