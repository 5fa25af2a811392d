"""What the vector index keeps in the store: each text's embedding by the text's sha256 and
the model (so that only new or changed texts are embedded, whatever index they go to), and
the leases that let one process at a time update the index (a row claimed with an expiry,
so that a process that died holding it stops holding it)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from sqlalchemy import delete, or_, select

from tools.crm.store.database import _CHUNK
from tools.crm.store.schema import Connection
from tools.crm.store.tables import embeddings, leases


class Vectors(Connection):
    """The embeddings cache and the leases."""

    def embeddings(self, hashes: Iterable[str], model: str) -> dict[str, bytes]:
        """The kept vectors (float32 bytes) of these text hashes for ``model``; a hash with
        none is left out."""
        wanted = list(hashes)
        found: dict[str, bytes] = {}
        for start in range(0, len(wanted), _CHUNK):
            query = select(embeddings.c.text_sha, embeddings.c.vector).where(
                embeddings.c.model == model,
                embeddings.c.text_sha.in_(wanted[start : start + _CHUNK]),
            )
            found.update((str(row[0]), bytes(row[1])) for row in self._rows(query))
        return found

    def keep_embeddings(self, mapping: Mapping[str, bytes], model: str) -> None:
        """Keep vectors by text hash for ``model`` (in a transaction of its own: call it
        outside ``transaction()``)."""
        with self.transaction():
            self._put_rows(
                self.upsert(embeddings, update=["vector"]),
                [(sha, model, vector) for sha, vector in mapping.items()],
            )

    def claim(self, name: str, owner: str, seconds: float) -> bool:
        """Take (or extend) the lease ``name`` for ``seconds`` unless another owner holds it
        unexpired; whether ``owner`` holds it now. One statement: two processes claiming at
        once cannot both win."""
        now = time.time()
        insert = self.insert_into(leases)
        # Only where the lease is this owner's or has expired; RETURNING says whether it was.
        claimed = insert.on_conflict_do_update(
            index_elements=["name"],
            set_={"owner": insert.excluded.owner, "expires": insert.excluded.expires},
            where=or_(leases.c.owner == owner, leases.c.expires < now),
        ).returning(leases.c.owner)
        statement = claimed.values(name=name, owner=owner, expires=now + seconds)
        return self._first(statement) is not None

    def release(self, name: str, owner: str) -> None:
        """Give the lease up, if ``owner`` holds it."""
        self._run(delete(leases).where(leases.c.name == name, leases.c.owner == owner))
