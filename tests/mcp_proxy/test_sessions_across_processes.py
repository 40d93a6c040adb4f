"""One MCP session, two server processes: requests reaching the other process are forwarded to the owner."""

import asyncio
import itertools
import threading
import time

import httpx2
import pytest

from apps.mcp_proxy.models import ToolCall
from tests.mcp_proxy.client import mcp_session
from tests.mcp_proxy.conftest import SIX_TOOLS, key_for
from tests.mcp_proxy.servers import DaphneServer

pytestmark = pytest.mark.django_db(transaction=True)


class Alternating(httpx2.AsyncBaseTransport):
    """Sends each request to the next server in turn, as a round-robin load balancer would."""

    def __init__(self, servers):
        self.ports = itertools.cycle([server.port for server in servers])
        self.inner = httpx2.AsyncHTTPTransport()
        self.sent = []

    async def handle_async_request(self, request):
        port = next(self.ports)
        request.url = request.url.copy_with(port=port)
        self.sent.append((request.method, port, request.headers.get("mcp-session-id")))
        return await self.inner.handle_async_request(request)

    async def aclose(self):
        await self.inner.aclose()


def test_a_session_works_whichever_process_each_request_reaches(daphne_pair, alice, fake_github, synced_github):
    token = key_for(alice)
    transport = Alternating(daphne_pair)

    async def flow():
        async with mcp_session(daphne_pair[0].mcp_url, token, transport=transport) as session:
            listed = [tool.name for tool in (await session.list_tools()).tools]
            got = await session.call_tool("get_issue", {"issue": "acme/api#1"})
            created = await session.call_tool("create_issue", {"project": "acme/api", "title": "From two processes"})
            again = await session.call_tool("get_issue", {"issue": "acme/api#2"})
            return listed, got, created, again

    listed, got, created, again = asyncio.run(flow())
    assert listed == SIX_TOOLS
    assert not got.is_error and not created.is_error and not again.is_error
    assert again.structured_content["issue"]["title"] == "From two processes"
    in_session = {port for method, port, session_id in transport.sent if session_id and method == "POST"}
    assert in_session == {server.port for server in daphne_pair}  # both processes took requests of the session
    session_ids = set(ToolCall.objects.values_list("session_id", flat=True))
    assert len(session_ids) == 1 and "" not in session_ids


INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "curl", "version": "1"}}}  # fmt: skip
LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}


def test_a_session_whose_process_is_gone_is_a_404_so_the_client_initializes_again(server, alice):
    headers = {"Accept": "application/json, text/event-stream", "Authorization": f"Bearer {key_for(alice)}",
               "MCP-Protocol-Version": "2025-11-25"}  # fmt: skip
    owner = DaphneServer().start()
    try:
        opened = httpx2.post(owner.mcp_url, json=INITIALIZE, headers=headers)
        session = {**headers, "Mcp-Session-Id": opened.headers["mcp-session-id"]}
        initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        assert httpx2.post(server.mcp_url, json=initialized, headers=session).status_code == 202  # forwarded
        assert httpx2.post(server.mcp_url, json=LIST, headers=session, timeout=10).status_code == 200
    finally:
        owner.stop()
    gone = httpx2.post(server.mcp_url, json=LIST, headers=session, timeout=10)
    assert gone.status_code == 404 and gone.json()["error"]["message"] == "Session not found"
    assert httpx2.post(server.mcp_url, json=LIST, headers=session, timeout=10).status_code == 404


def test_a_forwarded_stream_ends_when_its_owner_dies(server, alice):
    headers = {"Accept": "application/json, text/event-stream", "Authorization": f"Bearer {key_for(alice)}",
               "MCP-Protocol-Version": "2025-11-25"}  # fmt: skip
    owner = DaphneServer().start()
    try:
        opened = httpx2.post(owner.mcp_url, json=INITIALIZE, headers=headers)
        session = {**headers, "Mcp-Session-Id": opened.headers["mcp-session-id"]}
        httpx2.post(owner.mcp_url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=session)
        listen = {**session, "Accept": "text/event-stream"}
        ended = {}

        def listen_to_the_stream():  # the GET reaches `server`, which forwards it to the owner
            with httpx2.stream("GET", server.mcp_url, headers=listen, timeout=60) as stream:
                ended["status"] = stream.status_code
                for _chunk in stream.iter_raw():
                    pass
            ended["at"] = time.monotonic()

        listener = threading.Thread(target=listen_to_the_stream)
        listener.start()
        time.sleep(1.5)  # the stream is open on the owner
        owner.process.kill()  # no goodbye: the forwarding process only notices the silence
        killed = time.monotonic()
        listener.join(timeout=60)
        elapsed = ended["at"] - killed
    finally:
        owner.stop()
    # Three missed keep-alives (4 s apart with the tests' 2 s forward timeout) and the forward timeout.
    assert ended["status"] == 200 and elapsed < 3 * 4 + 2 + 3
