"""Display helpers for the console: JSON for people, a tool's arguments from its schema, counts in words."""

import json
from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def pretty_json(value) -> str:
    """Indented JSON, keys sorted (autoescaped by the template like any other text)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


@register.filter
def schema_arguments(schema) -> list[dict]:
    """A JSON schema's top-level properties as `{name, type, required, description}`, in declaration order."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return []
    required = set(schema.get("required") or [])
    arguments = []
    for name, spec in schema["properties"].items():
        spec = spec if isinstance(spec, dict) else {}
        kind = spec.get("type", "")
        arguments.append({"name": name, "type": "/".join(kind) if isinstance(kind, list) else kind,
                          "required": name in required, "description": spec.get("description", "")})  # fmt: skip
    return arguments


@register.filter
def counted(items, noun: str) -> str:
    """`3 tools`, `1 prompt`: the length of `items` with the noun, plural when it is not one."""
    count = len(items or [])
    return f"{count} {noun}{'' if count == 1 else 's'}"


@register.filter
def lookup(mapping, key):
    """`mapping[key]`, or "" when it is missing: a label for an id."""
    return (mapping or {}).get(key, "")


@register.filter
def ago(moment: datetime | None) -> str:
    """`3 hours ago`, or `just now` within the first minute (where timesince would say `0 minutes`)."""
    if moment is None:
        return ""
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment)} ago"
