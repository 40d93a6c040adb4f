import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from apps.accounts.models import Scope
from apps.accounts.services import api_key_create
from apps.notifications.services import event_publish, event_publish_async
from preloop.asgi import application
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/ws/unified"


@sync_to_async
def key_for(email: str, scopes=(Scope.API,)) -> tuple[str, str]:
    from apps.accounts.models import User

    user = User.objects.filter(email=email).first() or make_user(email)
    return str(user.pk), api_key_create(user=user, name="ws", scopes=list(scopes)).secret


async def connect(path: str = URL, headers=None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=headers or [])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def connected_as(email: str) -> tuple[str, WebsocketCommunicator]:
    user_id, secret = await key_for(email)
    communicator = await connect(f"{URL}?token={secret}")
    hello = await communicator.receive_json_from()
    assert hello["type"] == "connected" and hello["user_id"] == user_id
    return user_id, communicator


async def subscribe(communicator, topic, filters=None):
    await communicator.send_json_to({"type": "subscribe", "topic": topic, "filters": filters or {}})
    assert (await communicator.receive_json_from())["type"] == "subscribed"


async def test_it_authenticates_with_a_token_query_parameter():
    user_id, secret = await key_for("alice@example.com")
    communicator = await connect(f"{URL}?token={secret}")
    hello = await communicator.receive_json_from()
    assert (hello["type"], hello["topic"], hello["user_id"], hello["auth"]) == ("connected", "system", user_id, "token")
    assert set(hello["topics"]) == {"flow_executions", "approvals", "activity", "system"}
    await communicator.disconnect()


async def test_it_authenticates_with_an_authorization_header():
    user_id, secret = await key_for("alice@example.com")
    communicator = await connect(headers=[(b"authorization", f"Bearer {secret}".encode())])
    hello = await communicator.receive_json_from()
    assert hello["user_id"] == user_id and hello["auth"] == "token"
    await communicator.disconnect()


async def test_it_authenticates_with_a_first_auth_message():
    user_id, secret = await key_for("alice@example.com")
    communicator = await connect()
    await communicator.send_json_to({"type": "auth", "token": secret})
    assert (await communicator.receive_json_from())["user_id"] == user_id
    await communicator.disconnect()


async def test_it_authenticates_the_console_with_its_session_cookie():
    @sync_to_async
    def session_cookie():
        user = make_user("alice@example.com")
        client = Client()
        client.login(email="alice@example.com", password=PASSWORD)
        return str(user.pk), client.cookies["sessionid"].value

    user_id, cookie = await session_cookie()
    communicator = await connect(
        headers=[(b"cookie", f"sessionid={cookie}".encode()), (b"origin", b"http://localhost:8000")]
    )
    hello = await communicator.receive_json_from()
    assert hello["user_id"] == user_id and hello["auth"] == "session"
    await communicator.disconnect()


async def test_a_session_cookie_from_a_foreign_origin_is_not_enough(settings):
    settings.ALLOWED_HOSTS = ["preloop.example.com"]

    @sync_to_async
    def session_cookie():
        make_user("alice@example.com")
        client = Client(HTTP_HOST="preloop.example.com")
        client.login(email="alice@example.com", password=PASSWORD)
        return client.cookies["sessionid"].value

    cookie = await session_cookie()
    communicator = await connect(
        headers=[(b"cookie", f"sessionid={cookie}".encode()), (b"origin", b"https://evil.example")]
    )
    await communicator.send_json_to({"type": "subscribe", "topic": "activity"})
    assert "Authenticate first" in (await communicator.receive_json_from())["error"]
    await communicator.disconnect()


async def test_a_bad_token_is_refused_and_closed():
    communicator = await connect(f"{URL}?token=pl_not_a_real_key")
    assert "Invalid" in (await communicator.receive_json_from())["error"]
    assert (await communicator.receive_output())["code"] == 4401


async def test_a_key_without_the_api_scope_is_refused():
    _user_id, secret = await key_for("alice@example.com", scopes=(Scope.MCP,))
    communicator = await connect(f"{URL}?token={secret}")
    assert "'api' scope" in (await communicator.receive_json_from())["error"]
    assert (await communicator.receive_output())["code"] == 4401


async def test_messages_before_authentication_are_refused():
    communicator = await connect()
    await communicator.send_json_to({"type": "subscribe", "topic": "activity"})
    assert "Authenticate first" in (await communicator.receive_json_from())["error"]
    await communicator.disconnect()


async def test_a_connection_that_never_authenticates_is_closed(monkeypatch):
    monkeypatch.setattr("apps.notifications.consumers.AUTH_TIMEOUT_SECONDS", 0.2)
    communicator = await connect()
    assert "timed out" in (await communicator.receive_json_from(timeout=2))["error"]
    assert (await communicator.receive_output(timeout=2))["code"] == 4401


async def test_events_reach_subscribers_of_their_topic_only():
    user_id, communicator = await connected_as("alice@example.com")
    await subscribe(communicator, "approvals")
    await event_publish_async(user_id=user_id, topic="activity", event_type="issue_updated", data={"n": 1})
    await event_publish_async(user_id=user_id, topic="approvals", event_type="approval_requested", data={"n": 2})
    event = await communicator.receive_json_from()
    assert (event["type"], event["topic"], event["event"], event["data"]) == (
        "event",
        "approvals",
        "approval_requested",
        {"n": 2},
    )
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_unsubscribing_stops_delivery():
    user_id, communicator = await connected_as("alice@example.com")
    await subscribe(communicator, "activity")
    await communicator.send_json_to({"type": "unsubscribe", "topic": "activity"})
    assert (await communicator.receive_json_from())["type"] == "unsubscribed"
    await event_publish_async(user_id=user_id, topic="activity", event_type="issue_updated", data={})
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_filters_narrow_a_topic():
    user_id, communicator = await connected_as("alice@example.com")
    await subscribe(communicator, "flow_executions", {"execution_id": "e-2"})
    for execution_id in ["e-1", "e-2"]:
        await event_publish_async(
            user_id=user_id,
            topic="flow_executions",
            event_type="execution_updated",
            data={"execution_id": execution_id},
        )
    assert (await communicator.receive_json_from())["data"] == {"execution_id": "e-2"}
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_bob_never_receives_alices_events():
    alice_id, alice = await connected_as("alice@example.com")
    _bob_id, bob = await connected_as("bob@example.com")
    await subscribe(alice, "activity")
    await subscribe(bob, "activity")
    await event_publish_async(user_id=alice_id, topic="activity", event_type="issue_updated", data={"secret": 1})
    assert (await alice.receive_json_from())["data"] == {"secret": 1}
    assert await bob.receive_nothing(timeout=0.3)
    await alice.disconnect()
    await bob.disconnect()


async def test_sync_code_publishes_after_commit_from_any_thread():
    user_id, communicator = await connected_as("alice@example.com")
    await subscribe(communicator, "activity")

    def worker_like():  # a Dramatiq worker thread has no event loop
        event_publish(user_id=user_id, topic="activity", event_type="issue_created", data={"key": "#1"})

    thread = threading.Thread(target=worker_like)
    thread.start()
    await asyncio.get_running_loop().run_in_executor(None, thread.join)
    assert (await communicator.receive_json_from())["data"] == {"key": "#1"}
    await communicator.disconnect()


async def test_unknown_topics_and_messages_get_clear_errors():
    _user_id, communicator = await connected_as("alice@example.com")
    await communicator.send_json_to({"type": "subscribe", "topic": "gossip"})
    assert "Unknown topic 'gossip'" in (await communicator.receive_json_from())["error"]
    await communicator.send_json_to({"type": "dance"})
    assert "Unknown message type" in (await communicator.receive_json_from())["error"]
    await communicator.send_to(text_data="{broken")
    assert "JSON" in (await communicator.receive_json_from())["error"]
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from())["type"] == "pong"
    await communicator.disconnect()


async def test_it_sends_heartbeats_and_closes_a_silent_client(settings):
    settings.WEBSOCKET_HEARTBEAT_SECONDS = 0.1
    settings.WEBSOCKET_HEARTBEAT_MISSES_ALLOWED = 1
    _user_id, communicator = await connected_as("alice@example.com")
    assert (await communicator.receive_json_from(timeout=1))["type"] == "heartbeat"
    while True:
        output = await communicator.receive_output(timeout=2)
        if output["type"] == "websocket.close":
            break
    assert output["code"] == 4408


async def test_a_client_that_answers_heartbeats_stays_connected(settings):
    settings.WEBSOCKET_HEARTBEAT_SECONDS = 0.1
    settings.WEBSOCKET_HEARTBEAT_MISSES_ALLOWED = 1
    _user_id, communicator = await connected_as("alice@example.com")
    for _ in range(6):
        message = await communicator.receive_json_from(timeout=1)
        assert message["type"] == "heartbeat"
        await communicator.send_json_to({"type": "pong"})
    await communicator.disconnect()


async def test_other_sessions_are_reported_on_the_system_topic():
    _user_id, first = await connected_as("alice@example.com")
    await subscribe(first, "system")
    _same_user, second = await connected_as("alice@example.com")
    started = await first.receive_json_from()
    assert (started["type"], started["topic"], started["event"]) == ("event", "system", "session_started")
    await second.disconnect()
    ended = await first.receive_json_from()
    assert ended["event"] == "session_ended" and ended["data"] == started["data"]
    await first.disconnect()
