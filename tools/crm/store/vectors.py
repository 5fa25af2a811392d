"""What the vector index keeps in the store: each text's embedding by the text's sha256 and
the model (so that only new or changed texts are embedded, whatever index they go to), and
the leases that let one process at a time update the index (a row claimed with an expiry,
so that a process that died holding it stops holding it)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from tools.crm.store.schema import Connection

_TABLES = (
    """CREATE TABLE IF NOT EXISTS embeddings (
        text_sha TEXT NOT NULL,
        model TEXT NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (text_sha, model)
    )""",
    """CREATE TABLE IF NOT EXISTS leases (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires REAL NOT NULL
    )""",
)
"""Derived data, outside the schema's versions: a store without them gets them empty."""


class Vectors(Connection):
    """The embeddings cache and the leases."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        for table in _TABLES:
            self._conn.execute(table)

    def embeddings(self, hashes: Iterable[str], model: str) -> dict[str, bytes]:
        """The kept vectors (float32 bytes) of these text hashes for ``model``; a hash with
        none is left out."""
        wanted = list(hashes)
        found: dict[str, bytes] = {}
        for start in range(0, len(wanted), 900):  # under SQLite's bound-parameter limit
            chunk = wanted[start : start + 900]
            marks = ",".join("?" * len(chunk))
            found.update(
                (str(row[0]), bytes(row[1]))
                for row in self._conn.execute(
                    f"SELECT text_sha, vector FROM embeddings WHERE model = ? "
                    f"AND text_sha IN ({marks})",
                    [model, *chunk],
                )
            )
        return found

    def keep_embeddings(self, mapping: Mapping[str, bytes], model: str) -> None:
        """Keep vectors by text hash for ``model`` (in a transaction of its own: call it
        outside ``transaction()``)."""
        with self.transaction():
            self._conn.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                [(sha, model, vector) for sha, vector in mapping.items()],
            )

    def claim(self, name: str, owner: str, seconds: float) -> bool:
        """Take (or extend) the lease ``name`` for ``seconds`` unless another owner holds it
        unexpired; whether ``owner`` holds it now. One statement: two processes claiming at
        once cannot both win."""
        now = time.time()
        row = self._conn.execute(
            "INSERT INTO leases VALUES (:name, :owner, :expires) ON CONFLICT (name) DO UPDATE "
            "SET owner = excluded.owner, expires = excluded.expires "
            "WHERE leases.owner = :owner OR leases.expires < :now RETURNING owner",
            {"name": name, "owner": owner, "expires": now + seconds, "now": now},
        ).fetchone()
        return row is not None

    def release(self, name: str, owner: str) -> None:
        """Give the lease up, if ``owner`` holds it."""
        self._conn.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))
