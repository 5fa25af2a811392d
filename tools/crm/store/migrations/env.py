"""Alembic's entry for the store's migrations. There is no ``alembic.ini``: the store runs
them on open (``tools.crm.store.database``) on its own connection, handed over in
``config.attributes["connection"]`` inside the store's write transaction. A new revision is
written against a scratch database with ``alembic.command.revision(config, autogenerate=True)``
on a configuration made the same way."""

from __future__ import annotations

from alembic import context

from tools.crm.store.tables import METADATA

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=METADATA,
    render_as_batch=True,  # SQLite alters a table by copying it
)
with context.begin_transaction():
    context.run_migrations()
