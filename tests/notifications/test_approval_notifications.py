"""An approval request reaches its approvers by email with their own one-click link, which then decides it."""

import re

import pytest

from apps.approvals.policies import approval_policy_create, approval_policy_resolve
from apps.approvals.services import approval_request_create
from apps.notifications.models import NotificationDelivery
from apps.notifications.preferences import preference_update
from tests.conftest import make_user
from tests.notifications.conftest import deliveries_settled

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_approver_gets_an_email_with_their_own_link_that_decides_the_request(
    alice, bob, smtp_server, dramatiq_worker, client
):
    carol = make_user("carol@example.com")
    for approver in (bob, carol):
        preference_update(user=approver, enabled_channels=["email"])
    policy = approval_policy_create(owner=alice, name="Two", approver_user_ids=[bob.id, carol.id],
                                    notification_channels=["email"])  # fmt: skip
    resolved = approval_policy_resolve(user=alice, rule_policy_id=policy.id, configuration_policy_id=None)
    request, _tokens = approval_request_create(user=alice, tool_name="github__delete_branch", tool_source="preloop_builtin",
                                               tool_name_at_source="delete_branch", arguments={"branch": "main"},
                                               justification="cleanup", client_name="Claude Code", policy=resolved)  # fmt: skip

    deliveries = list(NotificationDelivery.objects.filter(request_id=str(request.id)))
    assert sorted(delivery.user_id for delivery in deliveries) == sorted([bob.id, carol.id])
    deliveries_settled(deliveries)
    mails = smtp_server.messages
    assert sorted(mail["to"][0] for mail in mails) == ["bob@example.com", "carol@example.com"]
    text = (
        next(mail for mail in mails if mail["to"] == ["bob@example.com"])["message"]
        .get_body(preferencelist=("plain",))
        .get_content()
    )
    link = re.search(r"Approve: (\S+)", text).group(1)
    assert f"/approval/{request.id}?token=" in link
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and b"github__delete_branch" in page.content
    token = re.search(r"token=([^&\s]+)", link).group(1)
    decided = client.post(f"/approval/{request.id}?token={token}", {"decision": "approve"})
    assert decided.status_code == 200
    request.refresh_from_db()
    assert request.decisions.get().approver == bob
