"""CRMAgent: writes high-conversion CRM message templates and explains why, step by step.

from crmagent import generate, generate_batch
result = generate({"merchant_id": "m007", "segment": "lapsed_90d", ...})
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crmagent.api import generate, generate_batch

__all__ = ["generate", "generate_batch"]


def __getattr__(name: str) -> Any:
    # The graph loads on first use, so `crmagent ingest` does not pay for it.
    if name in __all__:
        from crmagent import api

        return getattr(api, name)
    raise AttributeError(f"module 'crmagent' has no attribute {name!r}")
