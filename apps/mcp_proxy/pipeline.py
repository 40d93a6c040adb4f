"""The one call pipeline: every tool call (MCP, REST, later flows) passes through `tool_call_execute`.

resolve the visible tool → decide → execute → audit → publish activity. Anything that goes wrong
before execution denies the call (fail closed); the audit row is written whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import referencing.exceptions
from django.core.exceptions import ObjectDoesNotExist

from apps.mcp_proxy.audit import arguments_digest, arguments_redact
from apps.mcp_proxy.configurations.policy import (
    JUSTIFICATION_MISSING,
    PolicyDecision,
    ToolPolicy,
    justification_split,
    tool_call_policy_decide,
)
from apps.mcp_proxy.models import ToolCall, ToolCallOutcome, ToolCallTransport, ToolRuleAction
from apps.mcp_proxy.registry import ToolError, ToolOutput, ToolSpec, tool_visible_with_policy
from apps.mcp_proxy.threads import in_thread, in_worker_thread
from apps.trackers.clients.base import TrackerError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallContext:
    """Who calls, through what; built by the MCP endpoint from the session (or `_meta`), or by the REST view."""

    user: Any
    credential_id: str = ""
    client_name: str = ""
    client_version: str = ""
    client_capabilities: Mapping[str, Any] = field(default_factory=dict)
    protocol_version: str = ""
    session_id: str | None = None
    # How to reach the calling client during the call (progress, logging, elicitation); None for REST and flows.
    relay: Any = None
    transport: str = ToolCallTransport.REST  # what the audit row records: mcp | rest


@dataclass(frozen=True)
class ToolCallResult:
    structured: dict[str, Any] | None
    text: str
    is_error: bool
    outcome: str
    tool_call_id: str
    content: list[dict[str, Any]] | None = None  # a proxied tool's own content blocks, passed on unchanged
    meta: dict[str, Any] | None = None


class ToolCallRefused(Exception):
    """The pipeline refused the call before running it; `reason` names why (edges map it to their errors)."""

    reason = "denied"


class ToolNotVisible(ToolCallRefused):
    """No such tool for this user: unknown and hidden look the same, so nothing leaks."""

    reason = "unknown_tool"


class ToolCallUndecidable(ToolCallRefused):
    """Something failed while deciding; the call is refused rather than run unchecked."""

    reason = "internal_error"


class ToolDenied(ToolCallRefused):
    """The user's tool configuration denies the call (a disabled tool, a deny rule, a rule that failed)."""

    reason = "denied"


class ApprovalRequired(ToolCallRefused):
    """A rule requires approval; until approvals exist the call is refused and never run."""

    reason = "approval_required"


@dataclass
class _Call:
    context: CallContext
    tool_name: str
    arguments: dict[str, Any]
    started: float
    spec: ToolSpec | None = None
    policy: ToolPolicy | None = None
    decision: PolicyDecision | None = None
    justification: str = ""


async def tool_call_execute(*, context: CallContext, tool_name: str, arguments: dict) -> ToolCallResult:
    """Run one tool call for `context.user` through every step, and audit it.

    Raises ToolCallRefused (after auditing) when the call is not allowed to run at all; returns an
    `is_error` result when it ran, or was judged, and failed in a way the caller can correct.
    """
    call = _Call(context=context, tool_name=tool_name, arguments=arguments, started=time.monotonic())
    try:
        call.spec = await tool_resolve(call)
        problem = await tool_call_decide(call)
    except ToolCallRefused as refusal:
        await _finish(call, outcome=ToolCallOutcome.DENIED, error=str(refusal))
        raise
    except Exception as error:  # fail closed: a broken check never lets a call through
        log.exception("deciding on %s failed; refusing it", tool_name)
        await _finish(call, outcome=ToolCallOutcome.DENIED, error=f"internal error while deciding: {error}")
        raise ToolCallUndecidable("Preloop could not check this call, so it was not run. Try again later.") from error
    if problem is not None:
        return await _finish(call, outcome=ToolCallOutcome.DENIED, error=problem, text=problem)
    try:
        outcome, output, error = await tool_execute(call)
    except asyncio.CancelledError:  # the client cancelled (or left): the call is audited as such
        with contextlib.suppress(Exception):
            await asyncio.shield(_finish(call, outcome=ToolCallOutcome.CANCELLED, error="Cancelled by the client."))
        raise
    text = output.text if output else error
    return await _finish(call, outcome=outcome, error=error, text=text, output=output)


async def tool_resolve(call: _Call) -> ToolSpec:
    """The named tool among those this user sees, with the user's configuration of it (read together);
    unknown and hidden tools are refused alike."""
    spec, call.policy = await in_thread(tool_visible_with_policy, user=call.context.user, name=call.tool_name)
    if spec is None:
        raise ToolNotVisible(f"Unknown tool: {call.tool_name}")
    return spec


async def tool_call_decide(call: _Call) -> str | None:
    """Whether the call may run: None when allowed, else the problem the caller can correct.

    The user's configuration of the tool (read with the tool, no query here): justification mode, then the tool's input schema,
    then the rules. Raises ToolDenied or ApprovalRequired when a rule (or a disabled tool) refuses it.
    """
    spec, policy = call.spec, call.policy
    justifying = policy is not None and policy.justification_required
    if justifying and (not isinstance(call.arguments, dict) or justification_split(call.arguments)[1] is None):
        return JUSTIFICATION_MISSING
    problem = arguments_problem(spec.input_schema, call.arguments)
    if problem is not None:
        return problem
    if justifying:
        # Kept beside the arguments, outside the digest, the rules' `args` and what the tool receives.
        call.arguments, justification = justification_split(call.arguments)
        call.justification = justification or ""
    call.decision = tool_call_policy_decide(policy=policy, arguments=call.arguments, tool_name=spec.name_at_source,
                                            user=call.context.user)  # fmt: skip
    if call.decision.action == ToolRuleAction.DENY:
        raise ToolDenied(call.decision.reason)
    if call.decision.action == ToolRuleAction.REQUIRE_APPROVAL:
        raise ApprovalRequired(call.decision.reason)
    return None


_validators: dict[int, tuple[Mapping[str, Any], jsonschema.Draft202012Validator]] = {}


def _validator(schema: Mapping[str, Any]) -> jsonschema.Draft202012Validator:
    """One validator per tool schema, built on first use rather than on every call (the hot path)."""
    cached = _validators.get(id(schema))
    if cached is None or cached[0] is not schema:  # keeping the schema makes a reused id() harmless
        cached = _validators[id(schema)] = (schema, jsonschema.Draft202012Validator(schema))
    return cached[1]


def arguments_problem(schema: Mapping[str, Any], arguments: Any) -> str | None:
    """A readable description of what is wrong with the arguments, or None when they are valid.

    An upstream's schema that jsonschema cannot use (invalid, or referring to documents elsewhere) is
    not checked here: the upstream validates its own arguments.
    """
    try:
        validator = _validator(schema)
        errors = sorted(validator.iter_errors(arguments), key=lambda error: list(error.absolute_path))
    except (jsonschema.SchemaError, referencing.exceptions.Unresolvable) as error:
        log.info("not validating arguments against an unusable input schema: %s", error)
        return None
    if not errors:
        return None
    lines = []
    for error in errors[:5]:
        where = ".".join(str(part) for part in error.absolute_path)
        lines.append(f"{where}: {error.message}" if where else error.message)
    return "Invalid arguments: " + "; ".join(lines)


async def tool_execute(call: _Call) -> tuple[str, ToolOutput | None, str]:
    """Run the handler: (outcome, output, error message). Tool refusals become readable errors."""
    handler = call.spec.handler
    kwargs = {"user": call.context.user, "arguments": call.arguments, "context": call.context}
    try:
        if inspect.iscoroutinefunction(handler):
            output = await handler(**kwargs)
        else:
            output = await in_worker_thread(handler, **kwargs)
    except ToolError as error:
        return ToolCallOutcome.TOOL_ERROR, None, str(error)
    except TrackerError as error:
        return ToolCallOutcome.TOOL_ERROR, None, f"The tracker refused: {error}"
    except ObjectDoesNotExist as error:
        return ToolCallOutcome.TOOL_ERROR, None, f"Not found: {error}"
    except Exception:
        log.exception("tool %s failed", call.tool_name)
        return ToolCallOutcome.ERROR, None, f"The tool {call.tool_name} failed unexpectedly; the failure was logged."
    if output.is_error:  # a proxied tool that ran and reported an error: its content still goes to the caller
        return ToolCallOutcome.TOOL_ERROR, output, output.text or "The tool reported an error."
    return ToolCallOutcome.SUCCESS, output, ""


_publishing: set[asyncio.Task] = set()


async def _finish(call: _Call, *, outcome: str, error: str = "", text: str = "",
                  output: ToolOutput | None = None) -> ToolCallResult:  # fmt: skip
    row = await tool_call_audit(call, outcome=outcome, error=error,
                                upstream_latency_ms=output.upstream_latency_ms if output else None)  # fmt: skip
    # The activity event is a notice: the caller does not wait for Redis (the audit row is written already).
    task = asyncio.get_running_loop().create_task(tool_call_publish(call, row))
    _publishing.add(task)
    task.add_done_callback(_publishing.discard)
    return ToolCallResult(structured=output.structured if output else None, text=text,
                          is_error=outcome != ToolCallOutcome.SUCCESS, outcome=outcome, tool_call_id=str(row.id),
                          content=output.content if output else None, meta=output.meta if output else None)  # fmt: skip


async def tool_call_audit(call: _Call, *, outcome: str, error: str, upstream_latency_ms: int | None = None) -> ToolCall:
    """Write the ToolCall row: who, what (redacted, digested), outcome, latency, through which client."""
    context = call.context
    try:
        digest = arguments_digest(call.arguments)
    except (TypeError, ValueError):
        digest = ""
    return await in_thread(
        ToolCall.objects.create,
        user=context.user,
        tool_name=call.tool_name[:200],
        source=call.spec.source if call.spec else "",
        arguments=arguments_redact(call.arguments) if isinstance(call.arguments, dict) else {},
        arguments_digest=digest,
        outcome=outcome,
        error_message=error,
        duration_ms=int((time.monotonic() - call.started) * 1000),
        transport=context.transport,
        client_name=context.client_name[:200],
        client_version=context.client_version[:100],
        protocol_version=context.protocol_version[:20],
        session_id=(context.session_id or "")[:200],
        credential_id=context.credential_id[:100],
        decision=call.decision.action if call.decision else "",
        decision_rule=call.decision.rule_id if call.decision else None,
        decision_rule_condition=call.decision.rule_condition if call.decision else "",
        justification=call.justification,
        upstream_latency_ms=upstream_latency_ms,
    )


async def tool_call_publish(call: _Call, row: ToolCall) -> None:
    """Tell the user's `activity` topic; losing Redis must not fail a call that already happened."""
    from apps.notifications.services import event_publish_async

    data = {"tool_call_id": str(row.id), "tool_name": row.tool_name, "outcome": row.outcome,
            "duration_ms": row.duration_ms, "client_name": row.client_name, "transport": row.transport}  # fmt: skip
    try:
        await event_publish_async(user_id=row.user_id, topic="activity", event_type="tool_call", data=data)
    except Exception:
        log.exception("could not publish the tool call %s", row.id)
