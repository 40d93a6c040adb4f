"""Email: the worker sends through Django's SMTP backend to a real SMTP server on loopback."""

import pytest

from apps.notifications.channels import Recipient
from apps.notifications.delivery import approval_notice_dispatch
from apps.notifications.models import DeliveryStatus
from apps.notifications.preferences import preference_update
from tests.notifications.conftest import deliveries_settled

pytestmark = pytest.mark.django_db(transaction=True)


def _parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_it_emails_the_approver_with_both_parts_and_the_links(alice, notice, smtp_server, dramatiq_worker):
    deliveries = approval_notice_dispatch(notice=notice, recipients=[Recipient.for_user(alice)], channels=["email"])

    [delivery] = deliveries_settled(deliveries)
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    assert delivery.payload == ""  # links with one-click tokens are not kept once sent
    [mail] = smtp_server.messages
    assert mail["to"] == ["alice@example.com"]
    message = mail["message"]
    assert message["Subject"] == "[Preloop] Approval needed for delete_branch"
    assert message["X-Preloop-Request-Id"] == notice.request_id
    text, html = _parts(message)
    for part in (text, html):
        assert "delete_branch" in part and "GitHub MCP" in part and "Claude Code" in part
        assert "release/2026-11" in part
        assert "merged and tagged" in part
    assert f"Approve: {notice.approve_url}" in text
    assert f"Decline: {notice.decline_url}" in text
    assert f'href="{notice.approve_url.replace("&", "&amp;")}"' in html
    assert f'href="{notice.decline_url.replace("&", "&amp;")}"' in html
    assert "<pre" in html and "<code>branch</code>" in html


def test_it_uses_the_recipients_own_links_and_the_address_override(alice, notice, smtp_server, dramatiq_worker):
    preference_update(user=alice, email_address="alice.oncall@example.com")
    recipient = Recipient.for_user(
        alice, approve_url="https://x.example/a?token=alice-a", decline_url="https://x.example/d?token=alice-d"
    )

    deliveries_settled(approval_notice_dispatch(notice=notice, recipients=[recipient], channels=["email"]))

    [mail] = smtp_server.messages
    assert mail["to"] == ["alice.oncall@example.com"]
    text, _ = _parts(mail["message"])
    assert "https://x.example/a?token=alice-a" in text and "https://x.example/d?token=alice-d" in text
    assert "approve-tok" not in text


def test_an_unreachable_smtp_server_is_a_recorded_failure(alice, notice, settings, dramatiq_worker):
    from tests.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()

    [delivery] = deliveries_settled(
        approval_notice_dispatch(notice=notice, recipients=[Recipient.for_user(alice)], channels=["email"])
    )

    assert delivery.status == DeliveryStatus.FAILED
    assert "ConnectionRefused" in delivery.last_error
