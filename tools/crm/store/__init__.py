"""The CRM store: merchants, segments, products, vouchers, campaigns and templates with
their send statistics, in a database named by a SQLAlchemy URL: a SQLite file under
``$CRMAGENT_HOME`` by default (WAL journal, foreign keys on), PostgreSQL by
``postgresql+psycopg://``. A ``Path`` given for a store is its SQLite file.

Every write inside one ``transaction()`` so that a failed import changes nothing. Reads
return flat ``TemplateRecord`` tuples (cheap to build by the thousand); the column set is
the ingestion file's, so what goes in is what comes out.

The URL, the connection, the transaction and the upsert, with the schema brought to the
current Alembic revision on open (``database``, the revisions in ``migrations/``); the tables
(``tables``); the store's facts and cached values (``schema``); the template record and its
stable ids (``records``); merchants, segments and products (``profiles``); the templates and
their queries, with the work counter ``WORK`` (``templates``); the vector index's embeddings
cache and update leases (``vectors``). ``Store`` is all of them. Imports the ground only, so
the arena may use it.
"""

from __future__ import annotations

from tools.crm.store.database import (
    SETTING,
    Database,
    StoreUnavailable,
    sqlite_url,
    store_exists,
)
from tools.crm.store.records import TEMPLATE_COLUMNS, TemplateRecord
from tools.crm.store.templates import WORK, Templates
from tools.crm.store.vectors import Vectors

__all__ = [
    "SETTING",
    "TEMPLATE_COLUMNS",
    "WORK",
    "Database",
    "Store",
    "StoreUnavailable",
    "TemplateRecord",
    "sqlite_url",
    "store_exists",
]


class Store(Templates, Vectors):
    """A connection to the CRM store; creates the schema on first open."""
