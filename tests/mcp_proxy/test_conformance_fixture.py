"""Our conformance fixture server (conformance_fixture.py) passes the official MCP conformance suite.

The suite (@modelcontextprotocol/conformance 0.1.16) runs against the fixture directly, with no expected
failures: every one of the 30 scenarios of its active server suite must pass. Preloop's own /mcp/v1 is
checked in test_conformance.py; this is the upstream used to run the suite through Preloop's proxy.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import warnings

import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from tests.mcp_proxy.test_conformance import installed_suite

ACTIVE_SCENARIOS = [
    "server-initialize", "logging-set-level", "ping", "completion-complete", "tools-list",
    "tools-call-simple-text", "tools-call-image", "tools-call-audio", "tools-call-embedded-resource",
    "tools-call-mixed-content", "tools-call-with-logging", "tools-call-error", "tools-call-with-progress",
    "tools-call-sampling", "tools-call-elicitation", "elicitation-sep1034-defaults", "server-sse-multiple-streams",
    "elicitation-sep1330-enums", "resources-list", "resources-read-text", "resources-read-binary",
    "resources-templates-read", "resources-subscribe", "resources-unsubscribe", "prompts-list", "prompts-get-simple",
    "prompts-get-with-args", "prompts-get-embedded-resource", "prompts-get-with-image", "dns-rebinding-protection",
]  # fmt: skip
SUMMARY_LINE = re.compile(r"^\S+ (\S+): (\d+) passed, (\d+) failed$", re.MULTILINE)


def run_suite(url: str, output, *options: str) -> subprocess.CompletedProcess:
    node, cli = installed_suite()
    command = [str(node), str(cli), "server", "--url", url, "-o", str(output), *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def test_every_scenario_of_the_active_suite_passes_against_the_fixture(conformance_fixture_upstream, tmp_path):
    result = run_suite(conformance_fixture_upstream.url, tmp_path)
    output = result.stdout[-4000:] + result.stderr[-2000:]
    summary = {name: (int(passed), int(failed)) for name, passed, failed in SUMMARY_LINE.findall(result.stdout)}
    assert sorted(summary) == sorted(ACTIVE_SCENARIOS), output
    assert {name: counts for name, counts in summary.items() if counts[1] or not counts[0]} == {}, output
    checks = [(path.parent.name, check) for path in tmp_path.glob("*/checks.json")
              for check in json.loads(path.read_text())]  # fmt: skip
    assert len({scenario for scenario, _ in checks}) == len(ACTIVE_SCENARIOS)
    assert [(scenario, check["id"], check.get("errorMessage")) for scenario, check in checks
            if check["status"] in ("FAILURE", "WARNING")] == []  # fmt: skip
    assert result.returncode == 0, output


def test_the_pending_json_schema_scenario_passes_too(conformance_fixture_upstream, tmp_path):
    """$schema, $defs and additionalProperties of a tool's input schema reach the client untouched."""
    result = run_suite(conformance_fixture_upstream.url, tmp_path, "--scenario", "json-schema-2020-12")
    assert result.returncode == 0, result.stdout[-4000:]
    (checks,) = [json.loads(path.read_text()) for path in tmp_path.glob("*/checks.json")]
    assert [(check["id"], check["status"]) for check in checks] == [
        ("json-schema-2020-12-tool-found", "SUCCESS"),
        ("json-schema-2020-12-$schema", "SUCCESS"),
        ("json-schema-2020-12-$defs", "SUCCESS"),
        ("json-schema-2020-12-additionalProperties", "SUCCESS"),
    ]


def session_run(url: str, flow, **callbacks):
    async def main():
        async with (
            httpx2.AsyncClient(timeout=30) as http,
            streamable_http_client(url, http_client=http) as (read, write),
            ClientSession(read, write, **callbacks) as session,
        ):
            await session.initialize()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # logging/setLevel is deprecated as of 2026-07-28
                return await flow(session)

    return asyncio.run(main())


def test_log_messages_below_the_level_the_client_set_are_not_sent(conformance_fixture_upstream):
    received = []

    async def on_log(params):
        received.append((params.level, params.data))

    async def flow(session):
        await session.set_logging_level("warning")
        await session.call_tool("test_tool_with_logging", {})
        quiet = list(received)
        await session.set_logging_level("info")
        await session.call_tool("test_tool_with_logging", {})
        return quiet

    quiet = session_run(conformance_fixture_upstream.url, flow, logging_callback=on_log)
    assert quiet == []
    assert received == [("info", "Tool execution started"), ("info", "Tool processing data"),
                        ("info", "Tool execution completed")]  # fmt: skip


def test_progress_arrives_in_order_before_the_result(conformance_fixture_upstream):
    progress = []

    async def on_progress(value, total, message):
        progress.append((value, total))

    async def flow(session):
        return await session.call_tool("test_tool_with_progress", {}, progress_callback=on_progress)

    result = session_run(conformance_fixture_upstream.url, flow)
    assert progress == [(0, 100), (50, 100), (100, 100)]
    assert result.content[0].text == "Tool with progress executed successfully"


def test_unknown_resources_prompts_and_missing_arguments_are_errors(conformance_fixture_upstream):
    async def flow(session):
        errors = []
        for attempt in (
            session.read_resource("test://no-such-resource"),
            session.get_prompt("test_prompt_with_arguments", {"arg1": "only one"}),
            session.get_prompt("no_such_prompt"),
        ):
            with pytest.raises(MCPError) as caught:
                await attempt
            errors.append((caught.value.error.code, caught.value.error.message))
        return errors

    assert session_run(conformance_fixture_upstream.url, flow) == [
        (-32002, "Resource not found: test://no-such-resource"),
        (-32602, "Missing required arguments: arg2"),
        (-32602, "Unknown prompt: no_such_prompt"),
    ]
