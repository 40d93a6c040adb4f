"""A fake LLM API on loopback: OpenAI chat completions and Anthropic messages, with scripted answers.

Tests queue what the model "says" (`say`): a dict is sent as its JSON text, a string as it is (so an
invalid answer is one call away). Requests are recorded (`requests`, `sent()`), so tests can check the
prompt, the schema and the headers Preloop sent. Authentication and required fields are checked the
way the real APIs do, with their error shapes.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import deque

from .server import FakeServer, Request, Response

OPENAI_KEY = "sk-test-openai"
ANTHROPIC_KEY = "sk-ant-test"


class FakeLlm(FakeServer):
    """OpenAI-compatible at `openai_base_url` (…/v1), Anthropic at `url` (the client adds /v1/messages)."""

    def __init__(self) -> None:
        super().__init__()
        self._answers: deque[str] = deque()
        self._answers_lock = threading.Lock()
        self.route("POST", r"/v1/chat/completions", self._chat_completions)
        self.route("POST", r"/v1/messages", self._messages)

    def start(self) -> FakeLlm:
        super().start()
        server = self._server
        default_handle_error = server.handle_error

        def handle_error(request, client_address) -> None:
            # A client that timed out has gone when a delayed answer is written: expected, not worth a traceback.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                default_handle_error(request, client_address)

        server.handle_error = handle_error
        return self

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    def say(self, *answers: dict | str) -> None:
        """Queue the model's next answers (one per request)."""
        with self._answers_lock:
            self._answers.extend(json.dumps(answer) if isinstance(answer, dict) else answer for answer in answers)

    def sent(self, index: int = -1) -> dict:
        """The JSON body of a recorded request (the last by default)."""
        return self.requests[index].json()

    def _next_answer(self) -> str | None:
        with self._answers_lock:
            return self._answers.popleft() if self._answers else None

    # --- OpenAI ---------------------------------------------------------------------------
    @staticmethod
    def _openai_error(status: int, message: str, kind: str) -> Response:
        return Response(status, {"error": {"message": message, "type": kind, "param": None, "code": None}})

    def _chat_completions(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {OPENAI_KEY}":
            return self._openai_error(401, "Incorrect API key provided.", "invalid_request_error")
        body = request.json()
        if not isinstance(body, dict) or not body.get("model") or not body.get("messages"):
            return self._openai_error(400, "'model' and 'messages' are required.", "invalid_request_error")
        answer = self._next_answer()
        if answer is None:
            return self._openai_error(500, "The fake has no scripted answer.", "server_error")
        return Response(200, {
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": 1_764_000_000,
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer, "refusal": None},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(request.body) // 4, "completion_tokens": len(answer) // 4,
                      "total_tokens": (len(request.body) + len(answer)) // 4},
        })  # fmt: skip

    # --- Anthropic ------------------------------------------------------------------------
    @staticmethod
    def _anthropic_error(status: int, message: str, kind: str) -> Response:
        return Response(status, {"type": "error", "error": {"type": kind, "message": message}})

    def _messages(self, request: Request) -> Response:
        if request.headers.get("x-api-key") != ANTHROPIC_KEY:
            return self._anthropic_error(401, "invalid x-api-key", "authentication_error")
        if not request.headers.get("anthropic-version"):
            return self._anthropic_error(400, "anthropic-version: header is required", "invalid_request_error")
        body = request.json()
        missing = [name for name in ("model", "max_tokens", "messages") if not (body or {}).get(name)]
        if missing:
            return self._anthropic_error(400, f"{missing[0]}: Field required", "invalid_request_error")
        answer = self._next_answer()
        if answer is None:
            return self._anthropic_error(500, "The fake has no scripted answer.", "api_error")
        return Response(200, {
            "id": f"msg_{len(self.requests)}", "type": "message", "role": "assistant", "model": body["model"],
            "content": [{"type": "text", "text": answer}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": len(request.body) // 4, "output_tokens": len(answer) // 4},
        })  # fmt: skip
