"""The store's own tests on a real PostgreSQL: the unit tests that take ``store_url`` (the
store, the keys and review queue, the experiments, the import into the store) run here
unchanged with a new database each, and a server that cannot be reached says what to set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli import crmagent
from tests.unit.test_access import (
    test_a_key_acts_on_its_merchants_until_revoked,
    test_a_key_owns_only_its_merchants_templates,
    test_a_page_of_the_queue_carries_only_what_the_list_shows,
    test_a_run_in_the_queue_is_decided_once,
    test_a_signed_out_session_is_gone,
)
from tests.unit.test_experiments_store import (
    test_an_experiment_is_decided_once,
    test_arms_read_their_import_else_what_was_recorded,
    test_the_history_has_each_arms_conversions_after_each_import_or_record,
    test_unsubscribes_come_in_with_the_import_and_stay_when_a_file_lacks_them,
)
from tests.unit.test_ingest import (
    test_dry_run_writes_nothing,
    test_import_is_idempotent_and_updates_statistics,
    test_merchant_segments_map_onto_canonical,
)
from tests.unit.test_store import (
    test_a_failed_write_changes_nothing,
    test_a_store_opened_again_keeps_what_it_holds,
    test_ids_sort_byte_by_byte_as_sqlite_sorts_them,
)
from tools.crm.store import Store, StoreUnavailable

__all__ = [
    "test_a_failed_write_changes_nothing",
    "test_a_key_acts_on_its_merchants_until_revoked",
    "test_a_key_owns_only_its_merchants_templates",
    "test_a_page_of_the_queue_carries_only_what_the_list_shows",
    "test_a_run_in_the_queue_is_decided_once",
    "test_a_signed_out_session_is_gone",
    "test_a_store_opened_again_keeps_what_it_holds",
    "test_an_experiment_is_decided_once",
    "test_arms_read_their_import_else_what_was_recorded",
    "test_dry_run_writes_nothing",
    "test_ids_sort_byte_by_byte_as_sqlite_sorts_them",
    "test_import_is_idempotent_and_updates_statistics",
    "test_merchant_segments_map_onto_canonical",
    "test_the_history_has_each_arms_conversions_after_each_import_or_record",
    "test_unsubscribes_come_in_with_the_import_and_stay_when_a_file_lacks_them",
]


@pytest.fixture
def store_url(postgres_url: str) -> str:
    """The shared tests' store: a new PostgreSQL database."""
    return postgres_url


def test_a_server_that_is_not_there_names_the_setting_and_the_fix(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://crm:secret@/crm?host={tmp_path}"  # no server on this socket
    with pytest.raises(StoreUnavailable) as refused:
        Store(url)
    message = str(refused.value)
    assert message.startswith("CRMAGENT_STORE_URL postgresql+psycopg://crm:***@/crm")
    assert "cannot connect" in message and "start the database server or correct" in message
    assert "secret" not in message


def test_the_command_line_says_what_to_fix_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRMAGENT_STORE_URL", f"postgresql+psycopg://crm@/crm?host={tmp_path}")
    down = crmagent("summary")
    assert down.returncode == 1 and "Traceback" not in down.stderr
    assert "CRMAGENT_STORE_URL" in down.stderr and "cannot connect" in down.stderr
    monkeypatch.setenv("CRMAGENT_STORE_URL", "crm.sqlite")
    wrong = crmagent("summary")
    assert wrong.returncode == 1 and "is not a database URL; write sqlite:///" in wrong.stderr
