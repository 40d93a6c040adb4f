"""One-click links: per approver, single use, ending with the request, bound to it; a bad one changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.approvals.models import ApprovalRequest, ApprovalStatus, ApprovalToken
from tests.approvals.conftest import quorum_of_two, request_for

pytestmark = pytest.mark.django_db


def data(client, request_id, token):
    return client.get(f"/approval/{request_id}/data", {"token": token})


def decide(client, request_id, token, approve=True, comment=""):
    return client.post(f"/approval/{request_id}/decide?token={token}", {"approve": approve, "comment": comment},
                       content_type="application/json")  # fmt: skip


def test_the_data_shows_the_call_with_redacted_arguments_and_who_asked(client, alice):
    request, tokens = request_for(alice)
    response = data(client, request.id, tokens[alice.pk])
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    body = response.json()
    assert (body["tool_name"], body["status"], body["requester_email"]) == ("update_issue", "pending", alice.email)
    assert body["arguments"]["api_token"] == "[REDACTED]" and body["justification"] == "The release is due today."
    assert body["approver_email"] == alice.email and body["expires_at"]


def test_a_token_decides_once(client, alice, bob, charlie):
    request, tokens = quorum_of_two(alice, bob, charlie)
    first = decide(client, request.id, tokens[bob.pk], comment="ok")
    assert first.status_code == 200 and first.json()["status"] == "pending"
    again = decide(client, request.id, tokens[bob.pk], approve=False)
    assert again.status_code == 410 and again.json()["reason"] == "used"
    assert data(client, request.id, tokens[bob.pk]).json()["reason"] == "used"
    decision = request.decisions.get()
    assert (decision.approver_id, decision.approve, decision.via, decision.comment) == (bob.pk, True, "link", "ok")
    assert ApprovalToken.objects.get(request=request, approver=bob).used_at is not None
    assert decide(client, request.id, tokens[charlie.pk]).json()["status"] == "approved"


def test_a_wrong_token_changes_nothing(client, alice):
    request, tokens = request_for(alice)
    response = decide(client, request.id, tokens[alice.pk][:-2] + "xx")
    assert response.status_code == 403 and response.json()["reason"] == "wrong"
    missing = client.post(f"/approval/{request.id}/decide", {"approve": True}, content_type="application/json")
    assert missing.status_code == 400 and missing.json()["reason"] == "missing"
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.PENDING


def test_a_token_of_another_request_does_not_work_here(client, alice):
    first, first_tokens = request_for(alice)
    second, _ = request_for(alice)
    response = decide(client, second.id, first_tokens[alice.pk])
    assert response.status_code == 403 and response.json()["reason"] == "wrong"
    assert ApprovalRequest.objects.get(pk=second.pk).status == ApprovalStatus.PENDING
    assert ApprovalRequest.objects.get(pk=first.pk).status == ApprovalStatus.PENDING


def test_an_expired_request_token_is_gone_and_approves_nothing(client, alice):
    request, tokens = request_for(alice)
    ApprovalRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = decide(client, request.id, tokens[alice.pk])
    assert response.status_code == 410 and response.json()["reason"] == "expired"
    assert ApprovalRequest.objects.get(pk=request.pk).status != ApprovalStatus.APPROVED
    assert data(client, request.id, tokens[alice.pk]).status_code == 410


def test_a_request_ended_by_others_answers_409_with_its_state(client, alice, bob, charlie):
    request, tokens = quorum_of_two(alice, bob, charlie)
    decide(client, request.id, tokens[bob.pk], approve=False)
    response = decide(client, request.id, tokens[charlie.pk])
    assert response.status_code == 409 and response.json()["status"] == "declined"


def test_the_page_shows_the_call_and_changes_nothing_on_get(client, alice):
    request, tokens = request_for(alice)
    page = client.get(f"/approval/{request.id}", {"token": tokens[alice.pk]})
    text = page.content.decode()
    assert page.status_code == 200 and "update_issue" in text and 'value="approve"' in text
    assert page["Referrer-Policy"] == "no-referrer" and page["X-Frame-Options"] == "DENY"
    assert "[REDACTED]" in text and "pl_abcdefghijklmnopqrstuvwxyz" not in text
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.PENDING


def test_the_page_form_decides_without_javascript_or_csrf_cookie(alice):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    request, tokens = request_for(alice)
    response = browser.post(f"/approval/{request.id}?token={tokens[alice.pk]}",
                            {"decision": "decline", "comment": "not today"})  # fmt: skip
    assert response.status_code == 200 and "recorded" in response.content.decode()
    assert ApprovalRequest.objects.get(pk=request.pk).decision_reason == "Declined by alice@example.com: not today"
    again = browser.post(f"/approval/{request.id}?token={tokens[alice.pk]}", {"decision": "approve"})
    assert again.status_code == 410 and "used" in again.content.decode()


def test_the_page_says_why_a_bad_link_does_not_work(client, alice):
    request, _ = request_for(alice)
    page = client.get(f"/approval/{request.id}", {"token": "nope"})
    assert page.status_code == 403 and "not valid" in page.content.decode()
    assert 'value="approve"' not in page.content.decode()
