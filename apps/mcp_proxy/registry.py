"""The tool registry: every tool Preloop serves is one `ToolSpec`, registered once at import.

Adding a built-in tool is a checklist: write its module under `apps/mcp_proxy/builtin/` with a
handler and a `ToolSpec`, call `tool_register(spec)` at the bottom, and name the module in
`builtin/__init__.py`'s BUILTIN_MODULES. Visibility, schema validation, audit and activity come
from the pipeline; the handler only does the work.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import mcp_types

from apps.mcp_proxy.models import ToolSource


@dataclass(frozen=True)
class ToolOutput:
    """What a handler returns: structured content for programs and readable text for people and models."""

    structured: dict[str, Any] | None
    text: str
    # A proxied tool's result passes on unchanged: its content blocks (camelCase MCP JSON), whether the
    # upstream marked it an error, its `_meta`, and how long the upstream took.
    content: list[dict[str, Any]] | None = None
    is_error: bool = False
    meta: dict[str, Any] | None = None
    upstream_latency_ms: int | None = None


class ToolError(Exception):
    """The tool ran and cannot do what was asked (not found, refused, ambiguous): an `isError` result.

    The message goes to the caller (often a model), so it says what to do next.
    """


# A handler receives the calling user and the validated arguments; sync handlers run in a thread.
ToolHandler = Callable[..., ToolOutput | Awaitable[ToolOutput]]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str  # written for the model that picks the tool: what it does, when to use it, how to address things
    input_schema: Mapping[str, Any]
    handler: ToolHandler  # handler(*, user, arguments: dict, context: CallContext) -> ToolOutput
    output_schema: Mapping[str, Any] | None = None
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False
    open_world: bool = False
    # `preloop_builtin`, or the id (str) of the ExternalMcpServer the tool is proxied from.
    source: str = ToolSource.PRELOOP_BUILTIN
    # The tool's own name at its source (an upstream's name before the server's prefix); None: same as `name`.
    source_name: str | None = None
    # A proxied tool's listing as its upstream gave it (camelCase MCP JSON, proxied name): passed on unchanged.
    listing: Mapping[str, Any] | None = None
    # Who may see the tool, besides the source's own rule (built-ins: a tracker); None: everyone the source allows.
    visible_to: Callable[[Any], bool] | None = field(default=None)

    @property
    def name_at_source(self) -> str:
        """The name tool configurations are keyed by: renaming a server's prefix must not drop a rule."""
        return self.source_name or self.name

    def as_mcp_tool(self) -> mcp_types.Tool:
        if self.listing is not None:
            return mcp_types.Tool.model_validate({**self.listing, "name": self.name, "inputSchema": self.input_schema})
        return mcp_types.Tool(
            name=self.name,
            title=self.title,
            description=self.description,
            input_schema=dict(self.input_schema),
            output_schema=dict(self.output_schema) if self.output_schema else None,
            annotations=mcp_types.ToolAnnotations(
                title=self.title,
                read_only_hint=self.read_only,
                destructive_hint=self.destructive,
                idempotent_hint=self.idempotent,
                open_world_hint=self.open_world,
            ),
        )

    def as_listing(self) -> dict[str, Any]:
        """The tool as `tools/list` shows it (camelCase JSON), for the REST listing."""
        return self.as_mcp_tool().model_dump(by_alias=True, mode="json", exclude_none=True)


_REGISTRY: dict[str, ToolSpec] = {}


def tool_register(spec: ToolSpec) -> ToolSpec:
    """Add a tool; a second tool with the same name is a programming error."""
    if spec.name in _REGISTRY and _REGISTRY[spec.name] is not spec:
        raise ValueError(f"a tool named {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


def tool_unregister(name: str) -> None:
    """Remove a tool (an external server's tool that is gone; a test's own tool)."""
    _REGISTRY.pop(name, None)


def _builtins_loaded() -> None:
    from apps.mcp_proxy.builtin import BUILTIN_MODULES

    for module in BUILTIN_MODULES:
        importlib.import_module(module)


def tools_all() -> list[ToolSpec]:
    """Every registered tool, in registration order (visibility not applied)."""
    _builtins_loaded()
    return list(_REGISTRY.values())


def _visible(user, catalog) -> list[ToolSpec]:
    from apps.mcp_proxy.configurations.policy import tool_specs_configured

    visible = []
    if catalog.builtins_visible:
        visible = [spec for spec in tools_all() if spec.visible_to is None or spec.visible_to(user)]
    taken = {spec.name for spec in visible}
    # Clashes are refused when a server is saved or scanned; a built-in tool added later still wins.
    visible.extend(spec for spec in catalog.tool_specs if spec.name not in taken)
    return tool_specs_configured(specs=visible, policies=catalog.policies)


def tools_visible(*, user) -> list[ToolSpec]:
    """The tools this user may see and call (sync: it reads the database): built-in ones when the user has a
    tracker, then those of the user's active external MCP servers; as the user's tool configurations shape them
    (disabled ones removed, `justification` added where required)."""
    from apps.mcp_proxy.catalog import user_catalog

    return _visible(user, user_catalog(user=user))


def tool_visible_get(*, user, name: str) -> ToolSpec | None:
    """The named tool if this user may see it; None for unknown and hidden alike."""
    return tool_visible_with_policy(user=user, name=name)[0]


def tool_visible_with_policy(*, user, name: str):
    """(the named visible tool, the user's configuration of it), read together: one query when nothing changed."""
    from apps.mcp_proxy.catalog import user_catalog

    catalog = user_catalog(user=user)
    spec = next((spec for spec in _visible(user, catalog) if spec.name == name), None)
    policy = catalog.policies.get((str(spec.source), spec.name_at_source)) if spec is not None else None
    return spec, policy
