"""The proxy end to end: a real upstream MCP server registered by alice, its tools, prompts and resources
used through Preloop's /mcp/v1 (daphne) by the SDK client, with the protocol relayed both ways."""

from __future__ import annotations

import asyncio
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

import httpx2
import mcp_types
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from apps.mcp_proxy import services
from apps.mcp_proxy.models import ToolCall, ToolCallOutcome
from tests.conftest import client_for
from tests.mcp_proxy.client import mcp_session
from tests.mcp_proxy.conftest import key_for
from tests.mcp_proxy.servers import DaphneServer
from tests.mcp_proxy.upstreams import CANCELLED, WAITING, streamable_http_upstream

pytestmark = pytest.mark.django_db(transaction=True)


def run(coroutine):
    return asyncio.run(coroutine)


def registered(user, upstream, name="Weather", **fields):
    server = services.mcp_server_create(owner=user, name=name, url=upstream.url, **fields)
    assert services.mcp_server_scan(server=server), server.last_error
    return server


@asynccontextmanager
async def session_with(url: str, token: str, **callbacks):
    """An SDK client session declaring the capabilities whose callbacks are given."""
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(
            read, write, client_info=mcp_types.Implementation(name="relay-tests", version="1"), **callbacks
        ) as session,  # fmt: skip
    ):
        await session.initialize()
        yield session


def test_proxied_tools_are_listed_with_their_upstream_definition_and_called_through_preloop(
    server, alice, weather_upstream
):
    upstream_server = registered(alice, weather_upstream)
    token = key_for(alice)

    async def flow():
        async with mcp_session(server.mcp_url, token) as session:
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            echoed = await session.call_tool("weather__echo", {"text": "hello"})
            weather = await session.call_tool("weather__get_weather", {"city": "Oslo"})
            return tools, echoed, weather

    tools, echoed, weather = run(flow())
    assert tools["weather__get_weather"].annotations.read_only_hint is True
    assert tools["weather__get_weather"].output_schema["properties"]["celsius"]["type"] == "number"
    assert echoed.content[0].text == "hello" and not echoed.is_error
    assert weather.structured_content == {"city": "Oslo", "celsius": 21.5}
    audit = ToolCall.objects.get(tool_name="weather__echo")
    assert audit.source == str(upstream_server.id) and audit.outcome == ToolCallOutcome.SUCCESS
    assert audit.arguments == {"text": "hello"} and audit.user == alice
    assert audit.upstream_latency_ms is not None and audit.upstream_latency_ms <= audit.duration_ms
    assert audit.decision == "allow"


def test_progress_and_log_messages_of_the_upstream_reach_the_calling_client(server, alice, weather_upstream):
    registered(alice, weather_upstream)
    token = key_for(alice)
    logs, progress = [], []

    async def on_log(params):
        logs.append(params.data)

    async def on_progress(value, total, message):
        progress.append((value, total, message))

    async def flow():
        async with session_with(server.mcp_url, token, logging_callback=on_log) as session:
            return await session.call_tool("weather__countdown", {"steps": 3}, progress_callback=on_progress)

    result = run(flow())
    assert result.content[0].text == "counted 3"
    assert progress == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]
    assert logs == ["step 1 of 3", "step 2 of 3", "step 3 of 3"]


def test_elicitation_sampling_and_roots_requests_of_the_upstream_are_answered_by_the_calling_client(
    server, alice, weather_upstream
):
    registered(alice, weather_upstream)
    token = key_for(alice)

    async def elicit(context, params):
        assert params.message == "Which city?"
        return mcp_types.ElicitResult(action="accept", content={"city": "Lisbon"})

    async def sample(context, params):
        assert params.messages[0].content.text == "A line about rain"
        return mcp_types.CreateMessageResult(role="assistant", model="test-model",
                                             content=mcp_types.TextContent(type="text", text="Rain sings."))  # fmt: skip

    async def roots(context):
        return mcp_types.ListRootsResult(roots=[mcp_types.Root(uri="file:///work/project", name="project")])

    async def flow():
        callbacks = {"elicitation_callback": elicit, "sampling_callback": sample, "list_roots_callback": roots}
        async with session_with(server.mcp_url, token, **callbacks) as session:
            return [
                await session.call_tool("weather__ask_city", {}),
                await session.call_tool("weather__poem", {"topic": "rain"}),
                await session.call_tool("weather__my_roots", {}),
            ]

    city, poem, root_list = run(flow())
    assert city.content[0].text == "accept: Lisbon"
    assert poem.content[0].text == "test-model: Rain sings."
    assert root_list.content[0].text == "file:///work/project"


def test_an_upstream_question_the_client_cannot_answer_is_refused_with_a_clear_error(server, alice, weather_upstream):
    registered(alice, weather_upstream)

    token = key_for(alice)

    async def flow():
        async with mcp_session(server.mcp_url, token) as session:  # declares no elicitation
            return await session.call_tool("weather__ask_city", {})

    result = run(flow())
    assert result.is_error
    assert "elicitation not supported" in result.content[0].text.lower()  # the upstream knew: its link declared none


def test_cancelling_a_proxied_call_cancels_it_upstream_and_is_audited(server, alice, weather_upstream):
    registered(alice, weather_upstream)
    CANCELLED.clear()

    token = key_for(alice)

    async def flow():
        async with mcp_session(server.mcp_url, token) as session:
            call = asyncio.create_task(session.call_tool("weather__wait_forever", {}))
            for _ in range(200):
                if WAITING.is_set():
                    break
                await asyncio.sleep(0.05)
            assert WAITING.is_set(), "the upstream never started the call"
            call.cancel()
            for _ in range(200):
                if CANCELLED.is_set():
                    return True
                await asyncio.sleep(0.05)
            return False

    assert run(flow()), "the upstream was never told the call was cancelled"
    deadline = time.monotonic() + 10
    while not ToolCall.objects.filter(tool_name="weather__wait_forever").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ToolCall.objects.get(tool_name="weather__wait_forever").outcome == ToolCallOutcome.CANCELLED


def test_prompts_and_resources_pass_through_with_resource_uris_unchanged(server, alice, weather_upstream):
    registered(alice, weather_upstream)

    token = key_for(alice)

    async def flow():
        async with mcp_session(server.mcp_url, token) as session:
            prompts = (await session.list_prompts()).prompts
            prompt = await session.get_prompt("weather__forecast_summary", {"city": "Rome"})
            resources = (await session.list_resources()).resources
            templates = (await session.list_resource_templates()).resource_templates
            stations = await session.read_resource("weather://stations")
            report = await session.read_resource("weather://city/Paris")
            try:
                await session.read_resource("weather://nowhere/at/all")
            except MCPError as error:
                missing = error
            return prompts, prompt, resources, templates, stations, report, missing

    prompts, prompt, resources, templates, stations, report, missing = run(flow())
    assert [p.name for p in prompts] == ["weather__forecast_summary"]
    assert prompt.messages[0].content.text == "Summarise the forecast for Rome."
    assert [str(r.uri) for r in resources] == ["weather://stations"]
    assert [t.uri_template for t in templates] == ["weather://city/{city}"]
    assert stations.contents[0].text == '["LHR", "CDG"]'
    assert report.contents[0].text == "Report for Paris"
    assert missing.error.code == -32002


def test_without_a_name_prefix_the_upstream_names_are_used_as_they_are(server, alice, tools_only_paged_upstream):
    registered(alice, tools_only_paged_upstream, tool_prefix="")

    token = key_for(alice)

    async def flow():
        async with mcp_session(server.mcp_url, token) as session:
            names = [tool.name for tool in (await session.list_tools()).tools]
            return names, await session.call_tool("tool_3", {})

    names, called = run(flow())
    assert names == [f"tool_{number}" for number in range(5)]
    assert not called.is_error and called.content[0].text == "tool_3 ran"


def test_bob_never_sees_nor_reaches_alices_servers(server, alice, bob, weather_upstream):
    registered(alice, weather_upstream)

    token = key_for(bob)

    async def flow():
        async with mcp_session(server.mcp_url, token) as session:
            tools = (await session.list_tools()).tools
            prompts = (await session.list_prompts()).prompts
            resources = (await session.list_resources()).resources
            errors = []
            for attempt in (
                session.call_tool("weather__echo", {"text": "x"}),
                session.get_prompt("weather__forecast_summary", {"city": "x"}),
                session.read_resource("weather://stations"),
            ):
                try:
                    await attempt
                except MCPError as error:
                    errors.append(error.error.code)
            return tools, prompts, resources, errors

    tools, prompts, resources, errors = run(flow())
    assert (tools, prompts, resources) == ([], [], [])
    assert errors == [-32602, -32602, -32002]


def test_rest_calls_of_proxied_tools_go_through_the_same_pipeline(alice, weather_upstream):
    upstream_server = registered(alice, weather_upstream)
    response = client_for(alice).post("/api/v1/mcp/weather__echo", {"text": "over rest"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["text"] == "over rest"
    assert response.json()["content"] == [{"type": "text", "text": "over rest"}]
    assert ToolCall.objects.get(tool_name="weather__echo").source == str(upstream_server.id)


def test_an_upstream_that_is_down_gives_a_clear_error_result(server, alice):
    upstream = streamable_http_upstream().start()
    registered(alice, upstream)
    upstream.stop()

    token = key_for(alice)

    async def flow():
        async with mcp_session(server.mcp_url, token) as session:
            return await session.call_tool("weather__echo", {"text": "anyone?"})

    result = run(flow())
    assert result.is_error
    assert "'Weather' is unavailable" in result.content[0].text and "Cannot connect" in result.content[0].text


def test_an_upstream_that_restarted_is_reconnected_once_transparently(server, alice):
    first = streamable_http_upstream().start()
    registered(alice, first)

    token = key_for(alice)

    async def flow():
        async with mcp_session(server.mcp_url, token) as session:
            before = await session.call_tool("weather__echo", {"text": "one"})
            first.stop()
            second = streamable_http_upstream(port=first.port).start()  # the same address, a new process state
            try:
                after = await session.call_tool("weather__echo", {"text": "two"})
            finally:
                second.stop()
            return before, after

    before, after = run(flow())
    assert before.content[0].text == "one"
    assert not after.is_error and after.content[0].text == "two"


def test_a_client_hears_when_its_tools_change(server, alice, weather_upstream):
    notices = []
    token = key_for(alice)

    async def on_message(message):
        if isinstance(message, mcp_types.ToolListChangedNotification):
            notices.append(message)

    async def flow():
        async with session_with(server.mcp_url, token, message_handler=on_message) as session:
            assert [tool.name for tool in (await session.list_tools()).tools] == []
            await asyncio.to_thread(registered, alice, weather_upstream)
            for _ in range(100):
                if notices:
                    break
                await asyncio.sleep(0.05)
            return [tool.name for tool in (await session.list_tools()).tools]

    names = run(flow())
    assert notices, "no notifications/tools/list_changed reached the client"
    assert "weather__echo" in names


def test_two_server_processes_serve_one_session_with_the_upstreams_questions_relayed(
    daphne_pair, alice, weather_upstream
):
    from tests.mcp_proxy.test_sessions_across_processes import Alternating

    registered(alice, weather_upstream)
    token = key_for(alice)
    transport = Alternating(daphne_pair)
    progress = []

    async def elicit(context, params):
        return mcp_types.ElicitResult(action="accept", content={"city": "Porto"})

    async def on_progress(value, total, message):
        progress.append(value)

    async def flow():
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30, transport=transport) as http,
            streamable_http_client(daphne_pair[0].mcp_url, http_client=http) as (read, write),
            ClientSession(read, write, elicitation_callback=elicit) as session,
        ):
            await session.initialize()
            asked = [await session.call_tool("weather__ask_city", {}) for _ in range(2)]
            counted = await session.call_tool("weather__countdown", {"steps": 2}, progress_callback=on_progress)
            return asked, counted

    asked, counted = run(flow())
    assert [result.content[0].text for result in asked] == ["accept: Porto", "accept: Porto"]
    assert counted.content[0].text == "counted 2" and progress == [1, 2]
    posted = {port for method, port, session_id in transport.sent if session_id and method == "POST"}
    assert posted == {server.port for server in daphne_pair}  # answers to the elicitation crossed processes too


def test_sse_and_stdio_upstreams_are_proxied_like_streamable_http_ones(alice, sse_weather_upstream, settings):
    settings.MCP_ALLOW_STDIO_SERVERS = True
    registered(alice, sse_weather_upstream, name="Sse weather", tool_prefix="sse", transport="sse")
    script = str(Path(__file__).with_name("upstreams.py"))
    stdio = services.mcp_server_create(owner=alice, name="Stdio weather", tool_prefix="stdio", transport="stdio",
                                       command=sys.executable, args=[script])  # fmt: skip
    assert services.mcp_server_scan(server=stdio), stdio.last_error
    token = key_for(alice)
    preloop = DaphneServer(MCP_ALLOW_STDIO_SERVERS="true").start()

    async def flow():
        async with mcp_session(preloop.mcp_url, token) as session:
            return [
                await session.call_tool("sse__echo", {"text": "over sse"}),
                await session.call_tool("stdio__echo", {"text": "over stdio"}),
                await session.read_resource("weather://stations"),
            ]

    try:
        over_sse, over_stdio, stations = run(flow())
    finally:
        preloop.stop()
    assert over_sse.content[0].text == "over sse"
    assert over_stdio.content[0].text == "over stdio"
    assert stations.contents[0].text == '["LHR", "CDG"]'


def test_a_slow_a_malformed_and_a_failing_upstream_call_each_end_in_a_clear_error(server, alice):
    from tests.mcp_proxy.upstreams import misbehaving_upstream

    upstream = misbehaving_upstream().start()
    registered(alice, upstream, name="Flaky", timeout_seconds=1)
    token = key_for(alice)

    async def flow():
        async with mcp_session(server.mcp_url, token) as session:
            return [await session.call_tool(f"flaky__{name}", {}) for name in ("slow", "garbage", "crash")]

    try:
        slow, garbage, crash = run(flow())
    finally:
        upstream.stop()
    assert slow.is_error and "'Flaky' did not answer within 1 s" in slow.content[0].text
    assert garbage.is_error and "'Flaky' answered with a malformed result" in garbage.content[0].text
    assert crash.is_error and "'Flaky' refused the call" in crash.content[0].text
    outcomes = dict(ToolCall.objects.values_list("tool_name", "outcome"))
    assert set(outcomes.values()) == {ToolCallOutcome.TOOL_ERROR}


def test_a_subscriber_hears_of_resource_updates_and_an_upstreams_list_changed_rescans_it(server, alice):
    from tests.mcp_proxy.upstreams import notes_upstream

    upstream = notes_upstream().start()
    registered(alice, upstream, name="Notes")
    token = key_for(alice)
    updates, tool_notices = [], []

    async def on_message(message):
        if isinstance(message, mcp_types.ResourceUpdatedNotification):
            updates.append(str(message.params.uri))
        elif isinstance(message, mcp_types.ToolListChangedNotification):
            tool_notices.append(message)

    async def until(condition) -> None:
        for _ in range(100):
            if condition():
                return
            await asyncio.sleep(0.05)

    async def flow():
        async with session_with(server.mcp_url, token, message_handler=on_message) as session:
            await session.subscribe_resource("notes://today")
            await session.call_tool("notes__edit_notes", {"text": "buy milk"})
            await until(lambda: updates)
            content = (await session.read_resource("notes://today")).contents[0].text
            await session.call_tool("notes__learn_tool", {})
            await until(lambda: tool_notices)
            return content, [tool.name for tool in (await session.list_tools()).tools]

    try:
        content, names = run(flow())
    finally:
        upstream.stop()
    assert updates == ["notes://today"] and content == "buy milk"
    assert tool_notices, "the upstream's tools/list_changed did not lead to a re-scan and a notice"
    assert "notes__learned_2" in names


def test_each_client_session_gets_its_own_upstream_session_closed_when_the_client_leaves(server, alice):
    upstream = streamable_http_upstream().start()
    registered(alice, upstream)
    token = key_for(alice)

    async def until(condition) -> bool:
        for _ in range(100):
            if condition():
                return True
            await asyncio.sleep(0.05)
        return False

    async def flow():
        async with mcp_session(server.mcp_url, token) as first, mcp_session(server.mcp_url, token) as second:
            for _ in range(3):  # no new handshake per call: still one upstream session per client
                await first.call_tool("weather__echo", {"text": "a"})
                await second.call_tool("weather__echo", {"text": "b"})
            during = upstream.sessions()
        return during, await until(lambda: upstream.sessions() == 0)

    try:
        during, closed = run(flow())
    finally:
        upstream.stop()
    assert during == 2
    assert closed, "the upstream sessions stayed open after their clients left"


def test_a_2026_07_28_client_without_a_session_calls_proxied_tools_through_the_pooled_upstream_session(
    server, alice, weather_upstream
):
    registered(alice, weather_upstream)
    token = key_for(alice)
    progress = []

    async def on_progress(value, total, message):
        progress.append(value)

    async def flow():
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
            streamable_http_client(server.mcp_url, http_client=http) as (read, write),
            ClientSession(read, write, client_info=mcp_types.Implementation(name="modern", version="1")) as session,
        ):
            session.adopt(await session.discover())
            echoed = [await session.call_tool("weather__echo", {"text": f"call {n}"}) for n in range(3)]
            counted = await session.call_tool("weather__countdown", {"steps": 2}, progress_callback=on_progress)
            return echoed, counted

    echoed, counted = run(flow())
    assert [result.content[0].text for result in echoed] == ["call 0", "call 1", "call 2"]
    assert counted.content[0].text == "counted 2" and progress == [1, 2]
    assert weather_upstream.sessions() >= 1  # the pooled session stays open for the next sessionless call


def test_switching_a_proxied_tool_off_tells_the_client_and_hides_it(server, alice, weather_upstream):
    from apps.mcp_proxy.configurations.services import tool_configuration_create

    upstream_server = registered(alice, weather_upstream)
    token = key_for(alice)
    notices = []

    async def on_message(message):
        if isinstance(message, mcp_types.ToolListChangedNotification):
            notices.append(message)

    async def flow():
        async with session_with(server.mcp_url, token, message_handler=on_message) as session:
            before = [tool.name for tool in (await session.list_tools()).tools]
            await asyncio.to_thread(tool_configuration_create, owner=alice, tool_source=str(upstream_server.id),
                                    tool_name="echo", is_enabled=False)  # fmt: skip
            for _ in range(100):
                if notices:
                    break
                await asyncio.sleep(0.05)
            after = [tool.name for tool in (await session.list_tools()).tools]
            try:
                await session.call_tool("weather__echo", {"text": "still there?"})
            except MCPError as error:
                return before, after, error
            return before, after, None

    before, after, refused = run(flow())
    assert notices, "no notifications/tools/list_changed after the configuration changed"
    assert "weather__echo" in before and "weather__echo" not in after
    assert refused is not None and refused.error.code == -32602
