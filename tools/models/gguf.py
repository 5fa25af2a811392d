"""An in-process local model: ``CRMAGENT_MODEL=gguf:/path/model.gguf``.

llama.cpp (the ``xllamacpp`` wheel of the ``local`` extra: ``pip install -e '.[local]'``)
loads the file into this process, once per file, and answers OpenAI's chat API on a
loopback port of its own, behind a key made for this process. LangChain's OpenAI client
talks to it, so structured output (``json_schema`` is grammar-constrained by llama.cpp),
retries, the rule checks and the token counts are exactly the OpenAI path's.
"""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path
from typing import Any

from langchain_openai import ChatOpenAI

CONTEXT_TOKENS = 8192
"""Room for the longest prompt (patterns, exemplars, the voucher record) and its answer."""
ANSWER_TOKENS = 1024
"""The longest answer (a template with its guidance is about 400 tokens): a model that
rambles, or pads its JSON with whitespace as grammar-constrained decoding allows, is cut
off and its answer retried instead of holding a request for minutes."""

_SERVERS: dict[Path, tuple[Any, str]] = {}
"""Each loaded file's server and key, kept for the life of the process."""
_LOCK = threading.Lock()


class ModelFileError(ValueError):
    """The GGUF file cannot be used; the message says why and what to do."""


def chat_model(path: str, timeout: float) -> ChatOpenAI:
    """A chat model answering from the GGUF file at ``path``."""
    file = Path(path).expanduser().resolve()
    address, key = _server(file)
    return ChatOpenAI(
        model=file.stem,
        base_url=f"{address}/v1",
        api_key=key,
        timeout=timeout,
        max_completion_tokens=ANSWER_TOKENS,
        max_retries=0,  # ``tools.models.ask`` retries, with the problem fed back
    )


def _server(file: Path) -> tuple[str, str]:
    with _LOCK:
        if file not in _SERVERS:
            _SERVERS[file] = _start(file)
        server, key = _SERVERS[file]
    return str(server.listening_address), key


def _start(file: Path) -> tuple[Any, str]:
    spec = f"gguf:{file}"
    if not file.is_file():
        raise ModelFileError(f"model {spec!r}: no such file; give the path of a .gguf file")
    try:
        import xllamacpp
    except ImportError as error:
        raise ModelFileError(
            f"model {spec!r}: in-process models need the local extra: "
            "pip install -e '.[local]' (or pip install 'crmagent[local]')"
        ) from error
    params = xllamacpp.CommonParams()
    params.model.path = str(file)
    params.n_ctx = CONTEXT_TOKENS
    params.n_parallel = 1
    params.use_jinja = True  # the file's own chat template, tool calls included
    params.verbosity = -1
    params.hostnames = ["127.0.0.1"]
    key = secrets.token_urlsafe(24)
    params.api_keys = [key]
    threads = os.cpu_count() or 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    try:
        server = xllamacpp.Server(params)
    except RuntimeError as error:
        raise ModelFileError(
            f"model {spec!r}: llama.cpp could not load it ({error}); is it a GGUF model "
            "file, whole, that this llama.cpp build supports?"
        ) from error
    return server, key
