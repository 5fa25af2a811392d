"""The CRM store: one SQLite file under ``$CRMAGENT_HOME`` holding merchants, segments,
products, vouchers, campaigns and templates with their send statistics.

WAL journal, foreign keys on, and every write inside one ``transaction()`` so that a failed
import changes nothing. Reads return flat ``TemplateRecord`` tuples (cheap to build by the
thousand); the column set is the ingestion file's, so what goes in is what comes out.

The file, its schema and migrations and the connection (``schema``); the template record
and its stable ids (``records``); merchants, segments and products (``profiles``); the
templates and their queries, with the work counter ``WORK`` (``templates``); the vector
index's embeddings cache and update leases (``vectors``). ``Store`` is all of them. Imports
the ground only, so the arena may use it.
"""

from __future__ import annotations

from tools.crm.store.records import TEMPLATE_COLUMNS, TemplateRecord
from tools.crm.store.templates import WORK, Templates
from tools.crm.store.vectors import Vectors

__all__ = ["TEMPLATE_COLUMNS", "WORK", "Store", "TemplateRecord"]


class Store(Templates, Vectors):
    """A connection to the CRM store; creates the schema on first open."""
