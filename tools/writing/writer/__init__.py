"""The grounded copywriter: writes a message from a plan (features to use and avoid),
adapting an exemplar slot by slot, with no model."""

from __future__ import annotations

from tools.writing.writer.copywriter import (
    LINK,
    NAME,
    QUIET_VOICES,
    Exemplar,
    WritePlan,
    Writer,
    request_seed,
)

__all__ = ["LINK", "NAME", "QUIET_VOICES", "Exemplar", "WritePlan", "Writer", "request_seed"]
