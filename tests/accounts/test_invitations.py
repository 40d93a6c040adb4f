import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.accounts.models import Invitation, User
from apps.accounts.services import InvitationInvalid, invitation_accept, invitation_create
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def link_in(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://\S+/invite/\S+", body).group(0)


def test_invite_user_command_emails_a_working_link_over_smtp(smtp_server, settings, capsys):
    settings.PRELOOP_URL = "https://preloop.example.com"
    call_command("invite_user", "Newbie@Example.com")
    assert "Invitation emailed to newbie@example.com" in capsys.readouterr().out
    [delivered] = smtp_server.messages
    assert delivered["to"] == ["newbie@example.com"]
    link = link_in(delivered["message"])
    assert link.startswith("https://preloop.example.com/invite/")
    user = invitation_accept(token=link.rsplit("/", 1)[1], password=PASSWORD)
    assert user.email == "newbie@example.com" and user.check_password(PASSWORD)


def test_invite_user_refuses_an_existing_user(alice):
    with pytest.raises(CommandError, match="already exists"):
        call_command("invite_user", "alice@example.com")


def test_a_link_works_only_once(db):
    _invitation, link = invitation_create(email="once@example.com")
    token = link.rsplit("/", 1)[1]
    invitation_accept(token=token, password=PASSWORD)
    with pytest.raises(InvitationInvalid, match="already been used"):
        invitation_accept(token=token, password="another strong passphrase")
    assert User.objects.filter(email="once@example.com").count() == 1


def test_an_expired_link_is_refused(db):
    invitation, link = invitation_create(email="late@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(InvitationInvalid, match="expired"):
        invitation_accept(token=link.rsplit("/", 1)[1], password=PASSWORD)


def test_a_link_past_the_signature_age_is_refused(db, settings):
    _invitation, link = invitation_create(email="old@example.com")
    settings.INVITATION_MAX_AGE_SECONDS = -1
    with pytest.raises(InvitationInvalid, match="expired"):
        invitation_accept(token=link.rsplit("/", 1)[1], password=PASSWORD)


def test_a_tampered_link_is_refused(db):
    _invitation, link = invitation_create(email="tamper@example.com")
    token = link.rsplit("/", 1)[1]
    with pytest.raises(InvitationInvalid, match="not valid"):
        invitation_accept(token=token[:-2] + ("AA" if not token.endswith("AA") else "BB"), password=PASSWORD)
    assert not User.objects.filter(email="tamper@example.com").exists()


def test_a_weak_password_leaves_the_invitation_usable(db):
    from django.core.exceptions import ValidationError

    _invitation, link = invitation_create(email="weak@example.com")
    token = link.rsplit("/", 1)[1]
    with pytest.raises(ValidationError):
        invitation_accept(token=token, password="123")
    assert invitation_accept(token=token, password=PASSWORD).email == "weak@example.com"


def test_an_admin_invites_from_django_admin(admin_client, smtp_server):
    response = admin_client.post("/admin/accounts/invitation/add/", {"email": "viaadmin@example.com"})
    assert response.status_code == 302
    assert Invitation.objects.filter(email="viaadmin@example.com").exists()
    assert smtp_server.messages[0]["to"] == ["viaadmin@example.com"]


def test_django_admin_names_the_problem_for_an_existing_user(admin_client, alice):
    response = admin_client.post("/admin/accounts/invitation/add/", {"email": "alice@example.com"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert not Invitation.objects.exists()
