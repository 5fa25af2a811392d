"""Models: the one loader of chat models, and llama.cpp in process.

``load_model`` builds a LangChain chat model from a ``provider:model`` string inside a
node, never at import time; ``ask`` asks it for a pydantic answer with retries and a
budget (``loader``). ``gguf`` runs a GGUF file in this process. Imports only the ground.
"""

from __future__ import annotations

from tools.models import gguf
from tools.models.loader import (
    Spend,
    StructuredMethod,
    ask,
    budget,
    close_budget,
    load_model,
    open_budget,
    register,
)

__all__ = [
    "Spend",
    "StructuredMethod",
    "ask",
    "budget",
    "close_budget",
    "gguf",
    "load_model",
    "open_budget",
    "register",
]
