"""Process-wide settings read from the environment (``CRMAGENT_*``).

Per-run values (the graph's ``Context``) take these as defaults; nothing else reads the
environment directly.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where CRMAgent keeps its data and which model it uses."""

    model_config = SettingsConfigDict(env_prefix="CRMAGENT_", extra="ignore")

    home: Path = Field(
        default=Path(".crmagent"), description="Folder for the CRM store and the vector index."
    )
    index_url: str = Field(
        default="",
        description=(
            "Where the vector index lives: empty for Chroma embedded under the home, "
            "http://host:port for a Chroma server, postgresql://... for pgvector."
        ),
    )
    index_background_updates: bool = Field(
        default=False,
        description=(
            "A query after an import answers from the vector index as it was while the "
            "update runs in the background (for servers: the first request after an import "
            "does not wait; answers then depend on timing, so batch runs keep it off)."
        ),
    )
    model: str = Field(
        default="offline", description="'offline' (grounded layer only) or 'provider:model'."
    )
    model_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a model call may take (a local model on a CPU needs minutes).",
    )
    checkpoint_url: str | None = Field(
        default=None,
        description=(
            "Where paused and unfinished runs are kept: 'postgresql://...' (or"
            " 'postgresql+psycopg://...') for PostgreSQL; unset, checkpoints.sqlite in the home."
        ),
    )
    store_url: str | None = Field(
        default=None,
        description="Where the CRM store lives, as a SQLAlchemy URL: "
        "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE for PostgreSQL; unset: "
        "sqlite:///$CRMAGENT_HOME/crm.sqlite (tools.crm.resources.store_url).",
    )

    @property
    def checkpoints(self) -> str:
        """The URL of the checkpoint store: ``checkpoint_url``, or the SQLite file in the
        home."""
        return self.checkpoint_url or f"sqlite:///{self.home / 'checkpoints.sqlite'}"


def settings(home: Path | None = None) -> Settings:
    """Settings from the environment, with ``home`` overriding ``$CRMAGENT_HOME`` if given."""
    current = Settings()
    return current.model_copy(update={"home": home}) if home is not None else current
