"""Embedding providers: one interface, a local model (the default) and any OpenAI-compatible API.

Each process loads its provider once (`embedding_provider()`): the web process for search queries,
workers for issue texts. Every stored vector records the provider's `model_key`, so a new model is
embedded beside the old one and search uses only vectors of the configured model.
"""

from __future__ import annotations

import abc
import functools
import threading

import httpx2
import numpy as np
from django.conf import settings

from preloop import http

MAX_INDEXED_DIMENSIONS = 2000  # pgvector's HNSW limit for `vector`


class EmbeddingError(Exception):
    """The provider could not embed (API refused, unreachable, malformed answer)."""


class EmbeddingProvider(abc.ABC):
    model_key: str
    dimensions: int

    @abc.abstractmethod
    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 rows, one per text."""

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


class LocalProvider(EmbeddingProvider):
    """all-MiniLM-L6-v2 on ONNX Runtime; see apps/issues/embeddings/local.py for why this model."""

    def __init__(self, *, threads: int, max_tokens: int, batch_size: int):
        from apps.issues.embeddings import local

        self.model_key = local.MODEL_KEY
        self.dimensions = local.DIMENSIONS
        self.batch_size = batch_size
        self._model = local.MiniLmOnnx(threads=threads, max_tokens=max_tokens)
        self._lock = threading.Lock()  # one inference at a time per process: the session's threads are the budget

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return self._model.encode(texts, batch_size=self.batch_size)


class OpenAiCompatibleProvider(EmbeddingProvider):
    """POST {base_url}/embeddings, as OpenAI, Azure OpenAI, Ollama, vLLM and LiteLLM answer it."""

    def __init__(self, *, base_url: str, api_key: str, model: str, dimensions: int, batch_size: int = 64):
        if not 1 <= dimensions <= MAX_INDEXED_DIMENSIONS:
            raise EmbeddingError(f"EMBEDDING_DIMENSIONS must be 1…{MAX_INDEXED_DIMENSIONS}, not {dimensions}.")
        self.url = base_url.rstrip("/") + "/embeddings"
        self.api_key = api_key
        self.model = model
        self.dimensions = dimensions
        self.batch_size = batch_size
        self.model_key = f"{model}@{dimensions}"

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        rows: list[list[float]] = []
        with http.client() as client:
            for start in range(0, len(texts), self.batch_size):
                rows.extend(self._embed_batch(client, texts[start : start + self.batch_size]))
        vectors = np.asarray(rows, dtype=np.float32)
        return vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)

    def _embed_batch(self, client, texts: list[str]) -> list[list[float]]:
        body = {"model": self.model, "input": texts, "dimensions": self.dimensions, "encoding_format": "float"}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            response = http.send_with_retries(client, "POST", self.url, json=body, headers=headers)
        except httpx2.TransportError as error:
            raise EmbeddingError(f"The embeddings API at {self.url} could not be reached: {error}") from error
        if response.status_code != 200:
            raise EmbeddingError(
                f"The embeddings API at {self.url} answered {response.status_code}: {response.text[:300]}"
            )
        try:
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            vectors = [item["embedding"] for item in data]
        except (ValueError, KeyError, TypeError) as error:
            raise EmbeddingError(
                f"The embeddings API at {self.url} gave an answer without data[].embedding."
            ) from error
        if len(vectors) != len(texts) or any(len(vector) != self.dimensions for vector in vectors):
            raise EmbeddingError(
                f"The embeddings API returned {len(vectors)} vectors for {len(texts)} texts, or vectors that are not "
                f"{self.dimensions} long; check EMBEDDING_MODEL and EMBEDDING_DIMENSIONS."
            )
        return vectors


@functools.cache
def embedding_provider() -> EmbeddingProvider:
    """This process's provider, built from settings on first use."""
    if settings.EMBEDDING_PROVIDER == "local":
        return LocalProvider(
            threads=settings.EMBEDDING_THREADS,
            max_tokens=settings.EMBEDDING_MAX_TOKENS,
            batch_size=settings.EMBEDDING_BATCH_SIZE,
        )
    if settings.EMBEDDING_PROVIDER == "openai":
        return OpenAiCompatibleProvider(
            base_url=settings.EMBEDDING_API_BASE_URL,
            api_key=settings.EMBEDDING_API_KEY,
            model=settings.EMBEDDING_MODEL,
            dimensions=settings.EMBEDDING_DIMENSIONS,
        )
    raise EmbeddingError(f"EMBEDDING_PROVIDER must be local or openai, not {settings.EMBEDDING_PROVIDER!r}.")
