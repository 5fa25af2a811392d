"""The vector index kept in step with the store by imports, on each backend a user can pick
with ``CRMAGENT_INDEX_URL``: Chroma embedded under the home, and a real Chroma server
(``chroma run``) on loopback. The same tests run on both."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

import tools.crm.index as index_module
from tests.integration.servers import ROOT, free_port, running
from tools.crm.embeddings import MODEL_ID, embedder
from tools.crm.index import LEASE, TemplateIndex, entries, text_sha
from tools.crm.ingest import ingest_file
from tools.crm.store import TEMPLATE_COLUMNS, Store, TemplateRecord
from tools.crm.vectors import IndexState

SEGMENTS = ("vip", "winback")
"""A canonical segment, and a name of the merchants' own."""


def record(segment: str, i: int, conversions: int, text: str | None = None) -> TemplateRecord:
    """A template of one of four merchants, sent 1,000 times."""
    return TemplateRecord(
        f"{segment}-{i}",
        f"m{i % 4}",
        segment,
        "sms",
        "percent_off",
        10 + i,
        None,
        "2026-12-31",
        f"SAVE{i}",
        "apparel>shoes>running",
        text or f"Take {10 + i}% off trail running shoes in our {segment} sale {i}",
        None,
        1000,
        400,
        200,
        conversions,
        None,
        "2026-05-01",
    )


def world() -> list[TemplateRecord]:
    """Twelve templates a segment, conversions 10 to 120 (the top six are indexed)."""
    return [record(s, i, 10 * (i + 1)) for s in SEGMENTS for i in range(12)]


def write(path: Path, records: list[TemplateRecord]) -> Path:
    """An ingestion file of these templates."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TEMPLATE_COLUMNS)
        writer.writerows(["" if v is None else v for v in r] for r in records)
    return path


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Chroma server (``chroma run``) on a loopback port, for the module."""
    folder, port = tmp_path_factory.mktemp("chroma-server"), free_port()
    chroma = Path(sys.executable).parent / "chroma"
    command = [str(chroma), "run", "--path", str(folder / "data"), "--host", "127.0.0.1"]
    with running(
        [*command, "--port", str(port)],
        f"http://127.0.0.1:{port}/api/v2/heartbeat",
        {"CRMAGENT_HOME": str(folder)},
    ):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(params=["embedded", "server", "pgvector"])
def backend_url(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> str:
    """``CRMAGENT_INDEX_URL`` for the backend under test: embedded Chroma, a Chroma server
    (emptied first) or pgvector in a new PostgreSQL database."""
    url = {
        "embedded": lambda: "",
        "server": lambda: str(request.getfixturevalue("chroma_url")),
        "pgvector": lambda: str(request.getfixturevalue("postgres_url")),
    }[request.param]()
    monkeypatch.setenv("CRMAGENT_INDEX_URL", url)
    if url:
        TemplateIndex(tmp_path).backend.clear()
    return url


@pytest.fixture
def home(tmp_path: Path, backend_url: str) -> Path:
    """A home whose store holds ``world()``."""
    with Store(tmp_path / "crm.sqlite") as store:
        ingest_file(store, write(tmp_path / "world.csv", world()))
    return tmp_path


class Recorder:
    """What the index did: its updates and the texts it embedded (queries aside)."""

    def __init__(self, index: TemplateIndex, monkeypatch: pytest.MonkeyPatch) -> None:
        self.updates = 0
        self.embedded: list[str] = []
        real_update, real_vectors = index._update, index._vectors

        def update(*args: Any) -> None:
            self.updates += 1
            real_update(*args)

        def vectors(store: Store, texts: dict[str, str]) -> Any:
            real = embedder()

            def counted(batch: list[str]) -> Any:
                self.embedded.extend(batch)
                return real(batch)

            monkeypatch.setattr(index_module, "embedder", lambda: counted)
            try:
                return real_vectors(store, texts)
            finally:
                monkeypatch.setattr(index_module, "embedder", embedder)

        monkeypatch.setattr(index, "_update", update)
        monkeypatch.setattr(index, "_vectors", vectors)


def expected(store: Store, segment: str) -> dict[str, str]:
    """What a segment's vectors should be: its indexed templates by text hash."""
    return {i: text_sha(e.text) for i, e in entries(store, segment).items()}


def search(index: TemplateIndex, store: Store, segment: str, text: str) -> list[str]:
    """The template ids a search for ``text`` finds, best first."""
    hits = index.search(
        store,
        segment,
        text,
        exclude_merchant="someone-else",
        voucher_type="percent_off",
        product_category="apparel>shoes>running",
        channel="sms",
    )
    return [h.template_id for h in hits]


def test_the_index_holds_each_segments_top_half_and_finds_by_text(home: Path) -> None:
    store, index = Store(home / "crm.sqlite"), TemplateIndex(home)
    found = search(index, store, "vip", record("vip", 11, 0).text)
    assert found[0] == "vip-11"
    for segment in SEGMENTS:
        assert index.backend.members(segment) == expected(store, segment)
        assert set(expected(store, segment)) == {f"{segment}-{i}" for i in range(6, 12)}
    assert index.backend.state() == IndexState(store.get_meta("data_version") or "", MODEL_ID)


def test_an_unchanged_import_leaves_the_index_alone(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, index = Store(home / "crm.sqlite"), TemplateIndex(home)
    index.ensure(store)
    recorder = Recorder(index, monkeypatch)
    report = ingest_file(store, write(home / "again.csv", world()))
    index.ensure(store)
    assert (report.new_templates, report.updated_templates) == (0, 0)
    assert recorder.updates == 0 and recorder.embedded == []


def test_an_import_applies_only_the_difference(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, index = Store(home / "crm.sqlite"), TemplateIndex(home)
    index.ensure(store)
    recorder = Recorder(index, monkeypatch)
    # vip-6 drops out of the top half and vip-5 climbs into it; vip-9 is reworded; a
    # statistics refresh elsewhere changes no text.
    changes = [
        record("vip", 6, 5),
        record("vip", 5, 200),
        record("vip", 9, 100, "Members only: 19% off trail runners this week"),
        record("winback", 2, 31),
    ]
    ingest_file(store, write(home / "refresh.csv", changes))
    index.ensure(store)
    assert recorder.updates == 1
    # Only the texts the index never held were embedded.
    assert sorted(recorder.embedded) == [
        "Members only: 19% off trail runners this week",
        record("vip", 5, 0).text,
    ]
    members = index.backend.members("vip")
    assert "vip-6" not in members and "vip-5" in members
    for segment in SEGMENTS:
        assert index.backend.members(segment) == expected(store, segment)
    assert search(index, store, "vip", "Members only: 19% off trail runners")[0] == "vip-9"


def test_a_new_process_picks_up_where_the_index_is(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(home / "crm.sqlite")
    TemplateIndex(home).ensure(store)
    ingest_file(store, write(home / "out.csv", [record("vip", 6, 5)]))
    later = TemplateIndex(home)  # as a server started after the import
    recorder = Recorder(later, monkeypatch)
    later.ensure(store)
    # vip-6 fell out of the top half, and vip-5 took its place (its text embedded).
    assert "vip-6" not in later.backend.members("vip")
    assert recorder.embedded == [record("vip", 5, 0).text]
    # Back in the top half: its vector comes from the store's cache, nothing is embedded.
    recorder.embedded.clear()
    ingest_file(store, write(home / "back.csv", [record("vip", 6, 70)]))
    later.ensure(store)
    assert recorder.updates == 2 and recorder.embedded == []
    assert later.backend.members("vip") == expected(store, "vip")


def test_an_update_reads_again_what_another_process_wrote(home: Path) -> None:
    # Two servers take turns updating: each must diff against what the other left, not
    # against what it held when it last wrote (vip-5 stayed in the index).
    store, first, second = Store(home / "crm.sqlite"), TemplateIndex(home), TemplateIndex(home)
    first.ensure(store)
    ingest_file(store, write(home / "a.csv", [record("vip", 11, 115)]))
    second.ensure(store)
    ingest_file(store, write(home / "b.csv", [record("vip", 6, 5)]))  # vip-5 joins
    first.ensure(store)
    ingest_file(store, write(home / "c.csv", [record("vip", 6, 70)]))  # vip-5 leaves
    second.ensure(store)
    assert second.backend.members("vip") == expected(store, "vip")
    assert TemplateIndex(home).backend.members("vip") == expected(store, "vip")


def test_a_busy_store_does_not_throw_the_index_away(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, index = Store(home / "crm.sqlite"), TemplateIndex(home)
    index.ensure(store)
    ingest_file(store, write(home / "refresh.csv", [record("vip", 6, 5)]))

    def busy(*args: Any) -> bool:
        raise OperationalError("claim", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(store, "claim", busy)
    with pytest.raises(OperationalError):
        index.ensure(store)
    assert index.backend.state() is not None  # still there, for the next try
    monkeypatch.undo()
    index.ensure(store)
    assert index.backend.members("vip") == expected(store, "vip")


def test_vectors_of_another_model_are_built_afresh(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, index = Store(home / "crm.sqlite"), TemplateIndex(home)
    index.ensure(store)
    index.backend.set_state(IndexState(store.get_meta("data_version") or "", "an-older-model"))
    index.backend.upsert("gone", ["x"], ["x"], embedder()(["a segment nobody has any more"]))
    later = TemplateIndex(home)
    later.ensure(store)
    assert later.backend.segments() == sorted(SEGMENTS)
    assert later.backend.state() == IndexState(store.get_meta("data_version") or "", MODEL_ID)


def test_while_another_process_updates_the_previous_index_serves(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, index = Store(home / "crm.sqlite"), TemplateIndex(home)
    before = search(index, store, "vip", record("vip", 8, 0).text)
    recorder = Recorder(index, monkeypatch)
    ingest_file(store, write(home / "refresh.csv", [record("vip", 6, 5)]))
    assert store.claim(LEASE, "another process", 60)
    # Answers at once from the index as it is (vip-6 is no longer a reference: ranking
    # reads the store), without updating it.
    assert search(index, store, "vip", record("vip", 8, 0).text) == [
        i for i in before if i != "vip-6"
    ]
    assert recorder.updates == 0
    store.release(LEASE, "another process")
    index.ensure(store)
    assert recorder.updates == 1
    assert index.backend.members("vip") == expected(store, "vip")


def test_a_query_after_an_import_does_not_wait_for_a_background_update(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRMAGENT_INDEX_BACKGROUND_UPDATES", "1")
    store, index = Store(home / "crm.sqlite"), TemplateIndex(home)
    before = search(index, store, "vip", record("vip", 8, 0).text)
    real_update, inside, release = index._update, threading.Event(), threading.Event()

    def held(*args: Any) -> None:
        inside.set()
        release.wait(60)
        real_update(*args)

    monkeypatch.setattr(index, "_update", held)
    ingest_file(store, write(home / "refresh.csv", [record("vip", 6, 5)]))
    # The update has started (in the background) and is held: the query answers from the
    # index as it was, with the import's statistics.
    found = search(index, store, "vip", record("vip", 8, 0).text)
    assert inside.wait(60)
    assert found == [i for i in before if i != "vip-6"]
    assert "vip-6" in index.backend.members("vip")
    release.set()
    index.ensure(store)
    assert index.backend.members("vip") == expected(store, "vip")


def test_with_nothing_to_serve_a_process_waits_for_the_build(home: Path) -> None:
    store, index = Store(home / "crm.sqlite"), TemplateIndex(home)
    assert store.claim(LEASE, "another process", 60)
    found: list[list[str]] = []
    waiting = threading.Thread(
        target=lambda: found.append(search(index, store, "vip", record("vip", 11, 0).text))
    )
    waiting.start()
    waiting.join(2.0)
    assert waiting.is_alive() and found == []
    store.release(LEASE, "another process")
    waiting.join(120)
    assert found and found[0][0] == "vip-11"


_PROCESS = """
import json, sys, time
from pathlib import Path
from tools.crm.index import TemplateIndex
from tools.crm.store import Store

home, start = Path(sys.argv[1]), float(sys.argv[2])
store, index = Store(home / "crm.sqlite"), TemplateIndex(home)
real, updates = index._update, []

def update(*args):
    updates.append(1)
    time.sleep(3)  # long enough that the other process comes while this one builds
    real(*args)

index._update = update
time.sleep(max(0.0, start - time.time()))
hits = index.search(store, "vip", sys.argv[3], exclude_merchant="x", voucher_type="percent_off",
                    product_category="apparel>shoes>running", channel="sms")
print(json.dumps({"updates": len(updates), "found": [h.template_id for h in hits]}))
"""


def test_two_processes_never_build_at_once(home: Path, backend_url: str) -> None:
    start = time.time() + 15  # both have loaded CRMAgent by then
    env = {**os.environ, "CRMAGENT_INDEX_URL": backend_url, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", _PROCESS, str(home), str(start), record("vip", 11, 0).text]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()
        results.append(json.loads(out))
    assert sorted(r["updates"] for r in results) == [0, 1]
    assert results[0]["found"] == results[1]["found"] and results[0]["found"][0] == "vip-11"


def test_a_segment_mapped_elsewhere_leaves_the_index(home: Path) -> None:
    store, index = Store(home / "crm.sqlite"), TemplateIndex(home)
    index.ensure(store)
    with store.transaction():
        for merchant in ("m0", "m1", "m2", "m3"):
            store.map_segment(merchant, "winback", "lapsed_90d")
    index.ensure(store)
    assert index.backend.segments() == ["lapsed_90d", "vip"]
    assert index.backend.members("lapsed_90d") == expected(store, "lapsed_90d")
