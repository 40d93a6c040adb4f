"""Shared fixtures: standing personas (alice, bob), authenticated clients, real loopback servers."""

from __future__ import annotations

import socket

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.accounts.models import Scope, User
from apps.accounts.services import api_key_create

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttling counters and other cache entries never leak from one test into the next."""
    cache.clear()
    yield


def make_user(email: str, **extra) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


@pytest.fixture
def alice(db) -> User:
    return make_user("alice@example.com", full_name="Alice Adams")


@pytest.fixture
def bob(db) -> User:
    return make_user("bob@example.com", full_name="Bob Brown")


def client_for(user: User | None = None, *, scopes=(Scope.API, Scope.MCP)) -> APIClient:
    """An API client that authenticates with a fresh API key of the user (none: anonymous)."""
    client = APIClient()
    if user is not None:
        issued = api_key_create(user=user, name=f"test key {len(scopes)}", scopes=list(scopes))
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return client


@pytest.fixture
def alice_client(alice) -> APIClient:
    return client_for(alice)


@pytest.fixture
def bob_client(bob) -> APIClient:
    return client_for(bob)


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Inbox:
    """Messages received by the loopback SMTP server."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message})
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; Django's SMTP backend is pointed at it."""
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    yield inbox
    controller.stop()


from tests.fakes.fixtures import fake_github, fake_gitlab  # noqa: E402, F401 - fixtures
from tests.fakes.jira_fixtures import fake_jira_cloud, fake_jira_server  # noqa: E402, F401 - fixtures


@pytest.fixture
def dramatiq_worker():
    """A real Dramatiq worker on the Redis broker the project is configured with; yields the broker."""
    import dramatiq

    broker = dramatiq.get_broker()
    broker.flush_all()
    running = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    running.start()
    yield broker
    running.stop()
    broker.flush_all()
