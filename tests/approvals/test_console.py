"""The console's approvals inbox, detail page, deciding with htmx or a plain form, and the navigation's count."""

from __future__ import annotations

import pytest

from apps.approvals.models import ApprovalRequest, ApprovalStatus
from apps.approvals.services import approval_request_decide
from tests.approvals.conftest import policy_for, quorum_of_two, request_for, resolved
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.login(email=user.email, password=PASSWORD)
    return client


def test_the_inbox_lists_requests_addressed_to_me_pending_first(client, alice, bob, charlie):
    done, _ = request_for(alice, policy=resolved(alice, policy_for(alice, approver_user_ids=[bob.pk])))
    approval_request_decide(request=done, approver=bob, approve=True)
    waiting, _ = quorum_of_two(alice, bob, charlie)
    not_mine, _ = request_for(charlie)
    page = signed_in(client, bob).get("/approvals").content.decode()
    assert f"approval-{waiting.id}" in page and f"approval-{done.id}" in page
    assert f"approval-{not_mine.id}" not in page
    assert page.index(f"approval-{waiting.id}") < page.index(f"approval-{done.id}")
    assert page.count('value="approve"') == 1  # only the pending one offers the buttons


def test_deciding_with_htmx_swaps_the_card(client, alice, bob, charlie):
    request, _ = quorum_of_two(alice, bob, charlie)
    response = signed_in(client, bob).post(f"/approvals/{request.id}/decide",
                                           {"decision": "approve", "comment": "looks fine"},
                                           HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 200
    text = response.content.decode()
    assert f'id="approval-{request.id}"' in text and "looks fine" in text and 'value="approve"' not in text
    assert request.decisions.get().via == "console"


def test_deciding_with_a_plain_form_redirects_with_a_message(client, alice):
    request, _ = request_for(alice)
    response = signed_in(client, alice).post(f"/approvals/{request.id}/decide", {"decision": "decline"}, follow=True)
    assert response.redirect_chain[-1][0] == "/approvals" and "Recorded: decline" in response.content.decode()
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.DECLINED


def test_a_stranger_gets_404_and_a_non_approver_requester_403(client, alice, bob, charlie):
    request, _ = request_for(alice, policy=resolved(alice, policy_for(alice, approver_user_ids=[bob.pk])))
    assert signed_in(client, charlie).get(f"/approvals/{request.id}").status_code == 404
    assert client.post(f"/approvals/{request.id}/decide", {"decision": "approve"}).status_code == 404
    client.logout()
    response = signed_in(client, alice).post(f"/approvals/{request.id}/decide", {"decision": "approve"},
                                             HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 403
    assert signed_in(client, alice).get(f"/approvals/{request.id}").status_code == 200  # the requester sees it


def test_an_ended_request_answers_409(client, alice):
    request, _ = request_for(alice)
    approval_request_decide(request=request, approver=alice, approve=True)
    response = signed_in(client, alice).post(f"/approvals/{request.id}/decide", {"decision": "decline"},
                                             HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 409 and "already approved" in response.content.decode()


def test_the_navigation_counts_what_waits_for_me_in_one_query(client, alice, bob, charlie,
                                                             django_assert_num_queries):  # fmt: skip
    from django.test import RequestFactory

    from apps.console.context_processors import approvals

    first, _ = quorum_of_two(alice, bob, charlie)
    quorum_of_two(alice, bob, charlie)
    approval_request_decide(request=first, approver=bob, approve=True)  # decided by me: no longer waiting for me
    request = RequestFactory().get("/")
    request.user = bob
    with django_assert_num_queries(1):
        assert approvals(request) == {"approvals_awaiting": 1}
    page = signed_in(client, charlie).get("/approvals").content.decode()
    assert 'id="nav-approvals"' in page and "2 waiting for your decision" in page


def test_the_detail_page_shows_the_digest_and_decides(client, alice):
    request, _ = request_for(alice)
    page = signed_in(client, alice).get(f"/approvals/{request.id}").content.decode()
    assert request.arguments_digest in page and 'value="approve"' in page
    response = client.post(f"/approvals/{request.id}/decide", {"decision": "approve", "next": "detail"})
    assert response.status_code == 302 and response["Location"] == f"/approvals/{request.id}"
