"""The store opened from a URL: a write is all or nothing, ids sort the same on every engine,
a store file from any earlier CRMAgent opens with its rows, and a wrong URL says what to set.

The tests that take ``store_url`` run on PostgreSQL too (tests/integration/test_store_postgres.py).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tools.crm.access import Access
from tools.crm.experiments import Experiments
from tools.crm.resources import store_url as home_store_url
from tools.crm.store import Store, StoreUnavailable, TemplateRecord, sqlite_url, store_exists

V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE merchants (
    merchant_id TEXT PRIMARY KEY, name TEXT NOT NULL,
    brand_voice TEXT NOT NULL DEFAULT 'friendly', locale TEXT NOT NULL DEFAULT 'en',
    max_discount REAL CHECK (max_discount IS NULL OR max_discount BETWEEN 0 AND 100),
    forbidden_words TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE segments (
    merchant_id TEXT NOT NULL REFERENCES merchants(merchant_id), name TEXT NOT NULL,
    canonical TEXT, customers INTEGER, PRIMARY KEY (merchant_id, name)
);
CREATE TABLE products (
    product_id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL REFERENCES merchants(merchant_id),
    name TEXT NOT NULL, product_category TEXT NOT NULL, price REAL NOT NULL CHECK (price > 0)
);
CREATE TABLE vouchers (
    voucher_id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL REFERENCES merchants(merchant_id),
    type TEXT NOT NULL, value REAL NOT NULL, min_spend REAL, expires TEXT, code TEXT
);
CREATE TABLE campaigns (
    campaign_id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL REFERENCES merchants(merchant_id),
    segment TEXT NOT NULL, voucher_id TEXT NOT NULL REFERENCES vouchers(voucher_id),
    product_category TEXT NOT NULL, product_id TEXT REFERENCES products(product_id),
    channel TEXT NOT NULL CHECK (channel IN ('im', 'sms', 'push', 'email')), sent_at TEXT NOT NULL
);
CREATE TABLE templates (
    template_id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL REFERENCES campaigns(campaign_id),
    merchant_id TEXT NOT NULL REFERENCES merchants(merchant_id), segment TEXT NOT NULL,
    channel TEXT NOT NULL, product_category TEXT NOT NULL, text TEXT NOT NULL, subject TEXT,
    sends INTEGER NOT NULL, opens INTEGER NOT NULL, clicks INTEGER NOT NULL,
    conversions INTEGER NOT NULL, revenue REAL
);
CREATE INDEX templates_merchant_segment ON templates (merchant_id, segment);
INSERT INTO meta VALUES ('schema_version', '1');
INSERT INTO meta VALUES ('data_version', 'from-v1');
INSERT INTO merchants (merchant_id, name, max_discount) VALUES ('m1', 'Old Shop', 30);
INSERT INTO vouchers VALUES ('v1', 'm1', 'percent_off', 20, NULL, '2026-12-31', 'BACK20');
INSERT INTO campaigns VALUES ('c1', 'm1', 'vip', 'v1', 'home', NULL, 'sms', '2026-03-01');
INSERT INTO templates VALUES
    ('t1', 'c1', 'm1', 'vip', 'sms', 'home', 'Hi VIP: 20% off', NULL, 100, 50, 10, 2, 40.5);
"""
"""A store file as the first CRMAgent wrote it (schema version 1: no merge fields, no
unsubscribes, no model cache, keys or experiments), with one template."""


def record(template_id: str, merchant_id: str = "m1", sends: int = 100) -> TemplateRecord:
    return TemplateRecord(
        template_id=template_id, merchant_id=merchant_id, segment="vip", channel="sms",
        voucher_type="percent_off", voucher_value=10.0, min_spend=None, expires=None,
        code=None, product_category="home", text=f"Hi {template_id}", subject=None,
        sends=sends, opens=50, clicks=10, conversions=2, revenue=None, sent_at="2026-10-01",
    )  # fmt: skip


def test_a_failed_write_changes_nothing(store_url: str) -> None:
    with Store(store_url) as store:
        with store.transaction():
            store.put_templates([record("t1")])
        version = store.get_meta("data_version")
        with pytest.raises(RuntimeError, match="half way"), store.transaction():
            store.put_templates([record("t1", sends=900), record("t2", merchant_id="m2")])
            raise RuntimeError("the import failed half way")
        assert [(r.template_id, r.sends) for r in store.templates()] == [("t1", 100)]
        assert store.count("merchants") == 1 and store.get_meta("data_version") == version


def test_ids_sort_byte_by_byte_as_sqlite_sorts_them(store_url: str) -> None:
    ids = ["b", "B", "a-1", "a_1", "a1", "Z", "a 1", "é"]
    with Store(store_url) as store:
        with store.transaction():
            store.put_templates([record(i) for i in ids])
        assert [r.template_id for r in store.templates()] == sorted(ids)
        assert store.existing_template_ids(["B", "b", "c"]) == {"B", "b"}


def test_a_store_opened_again_keeps_what_it_holds(store_url: str) -> None:
    with Store(store_url) as store, store.transaction():
        store.put_templates([record("t1")])
    with Store(store_url) as again, Access(store_url), Experiments(store_url):
        assert again.count("templates") == 1 and again.get_meta("schema_version") == "3"


def test_a_version_1_file_made_by_hand_opens_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "crm.sqlite"
    with sqlite3.connect(path) as raw:
        raw.executescript(V1_SCHEMA)
    with Store(path) as store:
        assert store.get_meta("schema_version") == "3"
        assert store.get_meta("data_version") == "from-v1"
        (old,) = store.templates()
        assert (old.template_id, old.text, old.revenue, old.code) == (
            "t1",
            "Hi VIP: 20% off",
            40.5,
            "BACK20",
        )
        merchant = store.merchant("m1")
        assert (
            merchant is not None and merchant.max_discount == 30 and merchant.merge_fields is None
        )
        with store.transaction():  # what the later versions added works on the old file
            store.put_templates([record("t2")], unsubscribes=[3])
        assert store.unsubscribes(["t1", "t2"]) == {"t2": 3}
    experiments = Experiments(path)
    made = experiments.create("m1", "vip", "sms", [(None, "Old"), (None, "New")])
    assert experiments.get(made.experiment_id).arms[1].body == "New"
    assert not Access(path).has_keys()


def test_a_store_of_an_unknown_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "crm.sqlite"
    with sqlite3.connect(path) as raw:
        raw.executescript(V1_SCHEMA.replace("'schema_version', '1'", "'schema_version', '7'"))

    def tables() -> list[str]:
        with sqlite3.connect(path) as raw:
            return [row[0] for row in raw.execute("SELECT name FROM sqlite_master ORDER BY 1")]

    before = tables()
    with pytest.raises(RuntimeError, match="schema version 7, this CRMAgent expects 3; move"):
        Store(path)
    assert tables() == before


def test_a_store_from_a_newer_crmagent_says_to_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "crm.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreUnavailable, match="newer CRMAgent: upgrade CRMAgent"):
        Store(path)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("crm.sqlite", "is not a database URL; write sqlite:///PATH/crm.sqlite or postgresql"),
        ("mysql+pymysql://u@host/db", "runs on SQLite or PostgreSQL; write sqlite:///"),
        ("postgresql+psycopg2://u@host/db", "postgresql+psycopg://... and install the driver"),
        ("postgres://u@host/db", "or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE"),
    ],
)
def test_a_wrong_url_names_the_setting_and_the_fix(url: str, says: str) -> None:
    with pytest.raises(StoreUnavailable) as refused:
        Store(url)
    assert str(refused.value).startswith("CRMAGENT_STORE_URL ") and says in str(refused.value)


def test_the_store_url_is_the_setting_else_the_homes_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert home_store_url(tmp_path) == sqlite_url(tmp_path / "crm.sqlite")
    assert not store_exists(home_store_url(tmp_path))
    Store(home_store_url(tmp_path)).close()
    assert store_exists(home_store_url(tmp_path)) and (tmp_path / "crm.sqlite").is_file()
    monkeypatch.setenv("CRMAGENT_STORE_URL", "postgresql+psycopg://crm@db.internal/crm")
    assert home_store_url(tmp_path) == "postgresql+psycopg://crm@db.internal/crm"
    assert store_exists(home_store_url(tmp_path))
