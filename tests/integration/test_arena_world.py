"""The arena world: reproducible, checked, and with its latent variables kept apart."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from arena.hidden import HIDDEN_TABLES, hidden_path, load_hidden
from arena.quality import check_world
from arena.world import WorldExistsError, build_world
from tools.crm.store import Store

VISIBLE_TABLES = ("merchants", "segments", "products", "vouchers", "campaigns", "templates")


def dump(path: Path, tables: tuple[str, ...]) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}
    finally:
        conn.close()


def test_same_seed_same_world_and_other_seeds_differ(tmp_path: Path) -> None:
    worlds = {name: tmp_path / name for name in ("a", "b", "c")}
    build_world(worlds["a"], seed=11)
    build_world(worlds["b"], seed=11)
    build_world(worlds["c"], seed=12)
    for tables, path_of in (
        (VISIBLE_TABLES, lambda home: home / "crm.sqlite"),
        (HIDDEN_TABLES, hidden_path),
    ):
        a, b = dump(path_of(worlds["a"]), tables), dump(path_of(worlds["b"]), tables)
        assert a == b
        # A default world draws no effects beyond its fixed structure.
        drawn_only = {"effects", "reversed_effects"}
        assert all(a[table] for table in tables if table not in drawn_only)
        assert not any(a[table] for table in drawn_only if table in tables)
    first, other = load_hidden(hidden_path(worlds["a"])), load_hidden(hidden_path(worlds["c"]))
    assert first.segments["vip"].weights != other.segments["vip"].weights
    assert first.merchants["m001"].weights != other.merchants["m001"].weights


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_quality_checks_pass(tmp_path: Path, seed: int) -> None:
    built = build_world(tmp_path, seed=seed)
    assert check_world(built.store, built.hidden) == []
    assert 1_000 <= built.templates <= 5_000
    assert 500_000 <= built.sends <= 3_000_000
    with Store(built.store) as store:
        assert store.count("merchants") == 40
        categories = {r.product_category.split(">")[0] for r in store.templates()}
        assert len(categories) == 6
        assert len({r.voucher_type for r in store.templates()}) == 6


CORRUPTIONS = {
    "foreign key": "DELETE FROM campaigns WHERE campaign_id = (SELECT MIN(campaign_id) FROM "
    "campaigns)",
    "open rates": "UPDATE templates SET opens = sends, clicks = MIN(clicks, sends) "
    "WHERE channel = 'push'",
    "same text": "UPDATE templates SET text = (SELECT text FROM templates t2 WHERE "
    "t2.merchant_id = templates.merchant_id ORDER BY template_id LIMIT 1)",
    "rich history": "DELETE FROM templates WHERE segment = 'vip' AND merchant_id IN (SELECT "
    "merchant_id FROM templates WHERE segment = 'vip' GROUP BY merchant_id "
    "HAVING COUNT(*) >= 8)",
    "hidden table": "CREATE TABLE segment_weights (segment TEXT, feature TEXT, weight REAL)",
    "conversion per send": "UPDATE templates SET clicks = opens, conversions = opens "
    "WHERE channel = 'email'",
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_quality_checks_catch_a_corrupted_world(tmp_path: Path, corruption: str) -> None:
    built = build_world(tmp_path, seed=1)
    conn = sqlite3.connect(built.store)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(CORRUPTIONS[corruption])
    conn.commit()
    conn.close()
    failures = check_world(built.store, built.hidden)
    assert any(corruption in failure for failure in failures), failures


def test_missing_latent_variables_are_caught(tmp_path: Path) -> None:
    built = build_world(tmp_path, seed=1)
    built.hidden.unlink()
    assert any("latent variables missing" in f for f in check_world(built.store, built.hidden))


def test_visible_store_holds_no_latent_variable(tmp_path: Path) -> None:
    built = build_world(tmp_path, seed=3)
    hidden = load_hidden(built.hidden)
    conn = sqlite3.connect(built.store)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    columns = {
        column[1]
        for table in tables
        for column in conn.execute(f"PRAGMA table_info({table})").fetchall()
    }
    values = {
        value
        for table in tables
        for row in conn.execute(f"SELECT * FROM {table}")
        for value in row
        if isinstance(value, float)
    }
    conn.close()
    assert not tables & set(HIDDEN_TABLES)
    assert not columns & {
        "weight",
        "base_open",
        "base_click",
        "base_conv",
        "multiplier",
        "price_sensitivity",
        "open_shift",
    }
    latent = {w for s in hidden.segments.values() for w in s.weights.values()}
    latent |= {m.base_conv for m in hidden.merchants.values()}
    assert not latent & values
    assert built.hidden.parent != built.store.parent


def test_build_never_overwrites_imported_data(tmp_path: Path, sample_csv: Path) -> None:
    from tools.crm.ingest import ingest_file

    with Store(tmp_path / "crm.sqlite") as store:
        ingest_file(store, sample_csv)
    with pytest.raises(WorldExistsError, match="--home DIR"):
        build_world(tmp_path, seed=1)
    with Store(tmp_path / "crm.sqlite") as store:
        assert store.count("templates") == 20
    build_world(tmp_path, seed=2, replace=True)
    assert build_world(tmp_path, seed=1).seed == 1  # an arena world replaces an arena world


def test_cli_builds_a_world(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "crmagent",
            "arena",
            "build",
            "--seed",
            "4",
            "--home",
            str(tmp_path),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert '"seed": 4' in result.stdout and (tmp_path / "arena" / "hidden.sqlite").exists()


def test_a_contrarian_world_sends_the_same_texts_with_other_outcomes(tmp_path: Path) -> None:
    default = build_world(tmp_path / "default", seed=2)
    contrarian = build_world(tmp_path / "contrarian", seed=2, kind="contrarian")
    assert check_world(contrarian.store, contrarian.hidden) == []
    query = "SELECT template_id, text, sends, conversions FROM templates ORDER BY 1"
    rows = {}
    for name, built in (("default", default), ("contrarian", contrarian)):
        conn = sqlite3.connect(built.store)
        rows[name] = conn.execute(query).fetchall()
        conn.close()
    assert [r[:3] for r in rows["default"]] == [r[:3] for r in rows["contrarian"]]
    assert [r[3] for r in rows["default"]] != [r[3] for r in rows["contrarian"]]
    hidden = load_hidden(contrarian.hidden)
    assert hidden.kind == "contrarian" and hidden.effects and hidden.reversed_effects
    with Store(contrarian.store) as store:
        assert store.get_meta("arena_world") == "contrarian"
    with Store(default.store) as store:
        assert store.get_meta("arena_world") is None  # a default store is as it always was
