"""What the audit keeps of a call's arguments: a redacted copy and a digest of the original."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

REDACTED = "[REDACTED]"

# Keys whose values are secrets whatever they look like.
SECRET_KEY_NAME = re.compile(
    r"(token|password|passwd|passphrase|secret|api[_-]?key|apikey|authorization|credential|private[_-]?key|cookie)",
    re.IGNORECASE,
)
# Values that are secrets wherever they appear: well-known token shapes and bearer headers.
SECRET_VALUE = re.compile(
    r"(?:"
    r"\bpl_[A-Za-z0-9_\-]{16,}"  # Preloop API keys
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}"  # GitHub
    r"|\bglpat-[A-Za-z0-9_\-]{16,}"  # GitLab
    r"|\bxox[abposr]-[A-Za-z0-9\-]{10,}"  # Slack
    r"|\bsk-[A-Za-z0-9_\-]{20,}"  # OpenAI-style keys
    r"|\bAKIA[0-9A-Z]{16}\b"  # AWS access key ids
    r"|\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]+"  # JWTs
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"
    r"|(?<=Bearer )[A-Za-z0-9._~+/=\-]{8,}"
    r")"
)


def arguments_redact(value: Any) -> Any:
    """A copy of `value` with secret-named keys and secret-looking strings replaced."""
    if isinstance(value, dict):
        return {
            key: REDACTED if SECRET_KEY_NAME.search(str(key)) and item not in (None, "") else arguments_redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [arguments_redact(item) for item in value]
    if isinstance(value, str):
        return SECRET_VALUE.sub(REDACTED, value)
    return value


def arguments_canonical_json(arguments: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: the same arguments always give the same text."""
    return json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def arguments_digest(arguments: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of the arguments as the tool receives them."""
    return hashlib.sha256(arguments_canonical_json(arguments).encode()).hexdigest()
