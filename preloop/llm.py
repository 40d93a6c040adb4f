"""Structured answers from an LLM: one JSON object, validated against a JSON Schema, or an `LlmError`.

Two wire protocols, chosen by `LLM_PROVIDER`:
- `openai`: an OpenAI-compatible chat completions API (`POST {LLM_BASE_URL}/chat/completions`, bearer key),
  asking for structured output with `response_format: {"type": "json_schema", "json_schema": {…, "strict": true}}`;
- `anthropic`: the Anthropic Messages API (`POST {LLM_BASE_URL}/v1/messages`, `x-api-key`,
  `anthropic-version: 2023-06-01`); the schema goes into the system prompt with "answer with JSON only".
Either way the answer is parsed and validated here, so callers get a dict that matches the schema or an
error whose message says what went wrong (for a log line and a note to the user). Requests go through
`preloop.http`, the one door to the outside.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

import httpx2
from django.conf import settings
from jsonschema import Draft202012Validator

from preloop import http

log = logging.getLogger(__name__)
DEFAULT_BASE_URLS = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com"}
ANTHROPIC_VERSION = "2023-06-01"


class LlmError(Exception):
    """The LLM gave no usable answer; the message says why."""


@dataclass(frozen=True)
class LlmConfig:
    provider: str  # openai | anthropic
    base_url: str
    api_key: str
    model: str
    timeout_seconds: float

    @property
    def engine(self) -> str:
        """How results name this LLM: `llm:<model>`."""
        return f"llm:{self.model}"


def llm_config() -> LlmConfig | None:
    """The configured LLM, or None when `LLM_PROVIDER` is `none`."""
    provider = settings.LLM_PROVIDER
    if provider == "none":
        return None
    return LlmConfig(provider=provider, base_url=(settings.LLM_BASE_URL or DEFAULT_BASE_URLS[provider]).rstrip("/"),
                     api_key=settings.LLM_API_KEY, model=settings.LLM_MODEL,
                     timeout_seconds=settings.LLM_TIMEOUT_SECONDS)  # fmt: skip


def _openai_request(config: LlmConfig, system: str, prompt: str, schema: dict, name: str) -> tuple[str, dict, dict]:
    headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
    body = {
        "model": config.model,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": prompt}],
        "response_format": {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}},
    }
    return f"{config.base_url}/chat/completions", headers, body


def _anthropic_request(config: LlmConfig, system: str, prompt: str, schema: dict, name: str) -> tuple[str, dict, dict]:
    headers = {"x-api-key": config.api_key, "anthropic-version": ANTHROPIC_VERSION}
    instructions = (
        f"{system}\n\nAnswer with one JSON object only — no prose, no Markdown code fence — that is valid "
        f"against this JSON Schema (named {name}):\n{json.dumps(schema)}"
    )
    body = {"model": config.model, "max_tokens": 4096, "system": instructions,
            "messages": [{"role": "user", "content": prompt}]}  # fmt: skip
    return f"{config.base_url}/v1/messages", headers, body


def _error_message(response: httpx2.Response) -> str:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return response.text[:200]
    if isinstance(error, dict):
        return str(error.get("message") or error)[:300]
    return str(error or response.text)[:300]


def _answer_text(provider: str, payload: dict) -> str:
    try:
        if provider == "openai":
            choice = payload["choices"][0]
            if choice["message"].get("refusal"):
                raise LlmError(f"The model refused: {choice['message']['refusal']}")
            if choice.get("finish_reason") == "length":
                raise LlmError("The answer was cut off at the token limit.")
            return choice["message"]["content"] or ""
        if payload.get("stop_reason") == "max_tokens":
            raise LlmError("The answer was cut off at the token limit.")
        return "".join(block.get("text", "") for block in payload["content"] if block.get("type") == "text")
    except (KeyError, IndexError, TypeError) as error:
        raise LlmError(f"Unexpected response layout from the {provider} API ({error!r}).") from error


def _parse_object(text: str) -> dict:
    """The JSON object in the answer; a code fence or a sentence around it is tolerated."""
    stripped = text.strip()
    try:
        answer = json.loads(stripped)
    except ValueError:
        start, end = stripped.find("{"), stripped.rfind("}")
        try:
            answer = json.loads(stripped[start : end + 1]) if 0 <= start < end else None
        except ValueError:
            answer = None
        if answer is None:
            raise LlmError(f"The answer is not JSON: {stripped[:120]!r}.") from None
    if not isinstance(answer, dict):
        raise LlmError(f"The answer is JSON but not an object: {stripped[:120]!r}.")
    return answer


def answer_validate(answer: dict, schema: dict) -> dict:
    """Raise LlmError naming the first place where `answer` breaks `schema`."""
    errors = sorted(Draft202012Validator(schema).iter_errors(answer), key=lambda error: list(error.absolute_path))
    if errors:
        where = "/".join(str(part) for part in errors[0].absolute_path) or "the top level"
        error = errors[0]
        if error.validator in ("minItems", "maxItems"):  # its own message repeats the whole list
            bound = "at least" if error.validator == "minItems" else "at most"
            message = f"{len(error.instance)} items, where {bound} {error.validator_value} are allowed"
        else:
            message = error.message if len(error.message) <= 200 else error.message[:200] + "…"
        raise LlmError(f"The answer does not match the schema at {where}: {message}.")
    return answer


def llm_complete_json(*, config: LlmConfig, system: str, prompt: str, schema: dict, schema_name: str) -> dict:
    """Ask the LLM for one JSON object matching `schema`; returns it validated, or raises LlmError."""
    build = _openai_request if config.provider == "openai" else _anthropic_request
    url, headers, body = build(config, system, prompt, schema, schema_name)
    started = time.monotonic()
    try:
        with http.client(timeout=config.timeout_seconds) as session:
            response = http.send_with_retries(session, "POST", url, json=body, headers=headers, attempts=2,
                                              max_wait_seconds=10.0)  # fmt: skip
    except httpx2.TimeoutException as error:
        raise LlmError(f"The {config.provider} API did not answer within {config.timeout_seconds:g} s.") from error
    except httpx2.HTTPError as error:
        raise LlmError(f"The {config.provider} API at {config.base_url} could not be reached: {error!r}.") from error
    log.info("LLM %s %s answered %s in %.1fs", config.provider, config.model, response.status_code,
             time.monotonic() - started)  # fmt: skip
    if response.status_code >= 400:
        raise LlmError(f"The {config.provider} API answered HTTP {response.status_code}: {_error_message(response)}")
    try:
        payload = response.json()
    except ValueError as error:
        raise LlmError(f"The {config.provider} API answered something other than JSON.") from error
    return answer_validate(_parse_object(_answer_text(config.provider, payload)), schema)
