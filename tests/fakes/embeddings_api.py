"""A fake OpenAI-compatible embeddings API (POST /v1/embeddings) on loopback.

Vectors are hashed bags of words, so texts sharing words are similar: enough to check that search
and duplicates work with a provider other than the local model.
"""

from __future__ import annotations

import hashlib
import math
import re

from .server import FakeServer, Request, Response

API_KEY = "sk-test-embeddings"


def bag_of_words_vector(text: str, dimensions: int) -> list[float]:
    vector = [0.0] * dimensions
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        vector[int(hashlib.sha256(word.encode()).hexdigest(), 16) % dimensions] += 1.0
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector]


class FakeEmbeddingsApi(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.route("POST", "/v1/embeddings", self._embeddings)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def _embeddings(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return Response(401, {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                                            "code": "invalid_api_key"}})  # fmt: skip
        body = request.json()
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        dimensions = int(body.get("dimensions") or 64)
        data = [{"object": "embedding", "index": index, "embedding": bag_of_words_vector(text, dimensions)}
                for index, text in enumerate(texts)]  # fmt: skip
        tokens = sum(len(text.split()) for text in texts)
        return Response(200, {"object": "list", "data": data, "model": body["model"],
                              "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})  # fmt: skip
