"""The admin shows policies (with the API's rules) and requests (read-only); the sweep actor does its work."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.approvals.models import ApprovalPolicy, ApprovalRequest, ApprovalStatus
from apps.approvals.tasks import approval_requests_sweep
from tests.approvals.conftest import policy_for, request_for
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = make_user("root@example.com", is_staff=True, is_superuser=True)
    client.login(email=admin.email, password=PASSWORD)
    return client, admin


def test_requests_are_read_only_in_the_admin(admin_client, alice):
    client, _ = admin_client
    request, _ = request_for(alice)
    assert client.get("/admin/approvals/approvalrequest/").status_code == 200
    page = client.get(f"/admin/approvals/approvalrequest/{request.id}/change/")
    assert page.status_code == 200 and 'name="status"' not in page.content.decode()
    assert client.get("/admin/approvals/approvalrequest/add/").status_code == 403
    client.post(f"/admin/approvals/approvalrequest/{request.id}/change/", {"status": "approved"})
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.PENDING


def test_the_admin_keeps_the_quorum_within_the_approvers(admin_client, alice):
    client, _ = admin_client
    policy = policy_for(alice)
    assert client.get(f"/admin/approvals/approvalpolicy/{policy.id}/change/").status_code == 200
    response = client.post(f"/admin/approvals/approvalpolicy/{policy.id}/change/", {
        "owner": str(alice.pk), "name": "Too many", "approvers": [str(alice.pk)], "approvals_required": 2,
        "timeout_seconds": 600, "notification_channels": "console", "escalation_channels": ""})  # fmt: skip
    assert response.status_code == 200 and "cannot come from 1 approver" in response.content.decode()
    assert ApprovalPolicy.objects.get(pk=policy.pk).approvals_required == 1


def test_the_admin_names_escalation_problems_on_its_own_fields(admin_client, alice):
    client, _ = admin_client
    policy = policy_for(alice)
    response = client.post(f"/admin/approvals/approvalpolicy/{policy.id}/change/", {
        "owner": str(alice.pk), "name": "Escalating", "approvers": [str(alice.pk)], "approvals_required": 1,
        "timeout_seconds": 600, "notification_channels": "console", "escalation_after_seconds": 60,
        "escalation_channels": ""})  # fmt: skip
    assert response.status_code == 200 and "Escalation needs escalation approvers" in response.content.decode()


def test_the_sweep_actor_expires_due_requests(alice):
    request, _ = request_for(alice)
    ApprovalRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    approval_requests_sweep()  # calling an actor runs it here, as the worker would
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.EXPIRED
