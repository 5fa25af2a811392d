"""The command line with the store on PostgreSQL (``CRMAGENT_STORE_URL``), as a deployment
runs it: imports land whole while other processes import and read at once, and batches and
single requests learn from what was imported there."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from arena.world import build_world
from crmagent.measure.bench import write_synthetic_csv
from tests.integration.cli import crmagent
from tools.crm.store import Store

READER = """
import sys, time
from pathlib import Path
from tools.crm.store import Store
url, out, stop = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
with Store(url) as store, out.open("w") as seen:
    while not stop.exists():
        seen.write(f"{store.count('templates')} {store.count('merchants')}\\n")
        seen.flush()
        time.sleep(0.02)
"""
"""A process that reads the store over and over while imports run: the counts it saw."""


def renamed(source: Path, target: Path, prefix: str) -> Path:
    """``source`` with every template id given a new prefix (the same merchants)."""
    with source.open(newline="") as inp, target.open("w", newline="") as out:
        rows = csv.DictReader(inp)
        writer = csv.DictWriter(out, rows.fieldnames or [])
        writer.writeheader()
        writer.writerows({**row, "template_id": prefix + row["template_id"]} for row in rows)
    return target


def test_two_imports_and_a_reader_at_once_lose_nothing(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRMAGENT_STORE_URL", postgres_url)
    first = write_synthetic_csv(tmp_path / "first.csv", 20_000, merchants=40)
    second = renamed(first, tmp_path / "second.csv", "b-")
    seen, stop = tmp_path / "seen.txt", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, postgres_url, str(seen), str(stop)])
    imports = [
        subprocess.Popen(
            [sys.executable, "-m", "crmagent", "ingest", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in (first, second)
    ]
    outputs = [process.communicate(timeout=600) for process in imports]
    stop.touch()
    assert reader.wait(timeout=60) == 0
    for process, (stdout, stderr) in zip(imports, outputs, strict=True):
        assert process.returncode == 0, stderr
        assert "20000 template(s): 20000 new, 0 updated" in stdout
    with Store(postgres_url) as store:
        assert (store.count("templates"), store.count("merchants")) == (40_000, 40)
        ids = {r.template_id for r in store.templates()}
    assert ids == {f"t{i}" for i in range(20_000)} | {f"b-t{i}" for i in range(20_000)}
    # The reader saw each import whole or not at all, never a part of one nor a count going back.
    counts = [int(line.split()[0]) for line in seen.read_text().splitlines()]
    assert counts and set(counts) <= {0, 20_000, 40_000} and counts == sorted(counts)


def test_batch_and_generate_learn_from_what_was_imported_into_postgres(
    tmp_path: Path, crmagent_home: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = tmp_path / "world"
    build_world(world, seed=3)
    history = tmp_path / "history.csv"
    assert crmagent("export", history, "--home", world).returncode == 0
    with Store(world / "crm.sqlite") as store:
        requests = [store.replay_request(r, id=None) for r in store.templates()[:12]]

    monkeypatch.setenv("CRMAGENT_STORE_URL", postgres_url)
    imported = crmagent("ingest", history)
    assert imported.returncode == 0, imported.stderr
    assert "CRM store postgresql+psycopg://" in imported.stdout
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in requests))
    batch = crmagent("batch", source, target)
    assert batch.returncode == 0, batch.stderr
    results = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(results) == 12 and all(r["template"]["body"] for r in results)
    assert {r["mode"] for r in results} & {"group", "retrieval"}, "no history was read"
    request = tmp_path / "request.json"
    request.write_text(json.dumps({**requests[0], "id": "campaign-7"}))
    single = crmagent("generate", "--request", request, "--json")
    assert single.returncode == 0, single.stderr
    answer = json.loads(single.stdout)
    assert answer["id"] == "campaign-7" and answer["mode"] in {"group", "retrieval"}
    assert not (crmagent_home / "crm.sqlite").exists()  # the store is the server's


def test_the_arena_and_the_bench_refuse_a_store_on_a_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Their worlds are files under their folder; an agent reading the server would score
    # the wrong store. No server is reached: the refusal comes first.
    monkeypatch.setenv("CRMAGENT_STORE_URL", "postgresql+psycopg://crm@/crm?host=/nowhere")
    for command in (["arena", "run", "--seed", "1"], ["bench"]):
        refused = crmagent(*command, "--home", tmp_path)
        assert refused.returncode == 2
        assert "run it with CRMAGENT_STORE_URL unset" in " ".join(refused.stderr.split())
    assert not any(tmp_path.iterdir())
