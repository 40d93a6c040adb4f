"""Account writes: users, the first admin, API keys and invitations."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from apps.accounts.models import ALL_SCOPES, ApiKey, Invitation, Scope, User
from preloop.crypto import secret_hash, secrets_equal

API_KEY_PREFIX = "pl_"
INVITATION_SALT = "preloop.invitation"


class RegistrationClosed(Exception):
    """Self-registration is disabled on this instance."""


class InvitationInvalid(Exception):
    """An invitation link that is wrong, used or expired; the message says which."""


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def user_create(*, email: str, password: str, username: str = "", full_name: str = "", **extra) -> User:
    """Create a user after checking the email is free and the password is strong enough."""
    email = normalize_email(email)
    username = (username or email).strip()
    errors: dict[str, list[str]] = {}
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = ["A user with this email address already exists."]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = ["A user with this username already exists."]
    candidate = User(email=email, username=username, full_name=full_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as error:
        errors["password"] = list(error.messages)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email, password=password, username=username, full_name=full_name, **extra
            )
    except IntegrityError as error:  # a simultaneous sign-up took the address between check and insert
        raise ValidationError({"email": ["A user with this email address already exists."]}) from error


def user_register(*, email: str, password: str, username: str = "", full_name: str = "") -> User:
    """Self-service sign-up; refused when REGISTRATION_ENABLED is false."""
    if not settings.REGISTRATION_ENABLED:
        raise RegistrationClosed("Registration is disabled on this instance; ask an administrator for an invitation.")
    return user_create(email=email, password=password, username=username, full_name=full_name)


@dataclass
class FirstAdmin:
    email: str
    generated_password: str | None


def first_admin_ensure(*, email: str = "", password: str = "") -> FirstAdmin | None:
    """Create the first admin when no superuser exists yet; returns what was created, else None."""
    if User.objects.filter(is_superuser=True).exists():
        return None
    email = normalize_email(email) or "admin@localhost"
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:  # PRELOOP_ADMIN_EMAIL names an existing account: make it the admin
        existing.is_staff = existing.is_superuser = True
        if password:
            existing.set_password(password)
        existing.save()
        return FirstAdmin(email=existing.email, generated_password=None)
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    User.objects.create_superuser(email=email, password=password, username=email)
    return FirstAdmin(email=email, generated_password=generated)


@dataclass
class IssuedApiKey:
    api_key: ApiKey
    secret: str  # the full key: returned once, never stored


def api_key_create(
    *,
    user: User,
    name: str,
    scopes: list[str] | None = None,
    expires_at: datetime | None = None,
    granting_scopes: frozenset[str] = ALL_SCOPES,
) -> IssuedApiKey:
    """Issue an API key. A credential cannot grant a key more scopes than it has itself."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["This field may not be blank."]
    scopes = sorted(set(scopes or [Scope.API, Scope.MCP]))
    unknown = [scope for scope in scopes if scope not in ALL_SCOPES]
    if unknown:
        errors["scopes"] = [
            f"Unknown scope {scope!r}; choose from {', '.join(sorted(ALL_SCOPES))}." for scope in unknown
        ]
    elif not set(scopes) <= granting_scopes:
        missing = ", ".join(sorted(set(scopes) - granting_scopes))
        errors["scopes"] = [f"This credential cannot grant scopes it does not have: {missing}."]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = ["Expiry must be in the future."]
    if errors:
        raise ValidationError(errors)
    body = secrets.token_urlsafe(32)
    secret = f"{API_KEY_PREFIX}{body}"
    api_key = ApiKey.objects.create(
        user=user,
        name=name,
        prefix=secret[: len(API_KEY_PREFIX) + 8],
        key_hash=secret_hash(secret),
        scopes=scopes,
        expires_at=expires_at,
    )
    return IssuedApiKey(api_key=api_key, secret=secret)


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


@functools.cache
def _active_key_sql() -> tuple[str, list, list]:
    """The lookup of an active key and its user, as SQL written once.

    Every MCP request authenticates, and building this query with the ORM cost more CPU than running it
    (measured with yappi in `./start.sh bench proxy --profile`); it is the same query as
    `ApiKey.objects.active().select_related("user").filter(key_hash=…)`.
    """
    quote = connection.ops.quote_name
    key_fields, user_fields = list(ApiKey._meta.concrete_fields), list(User._meta.concrete_fields)
    columns = [f"k.{quote(field.column)}" for field in key_fields] + [
        f"u.{quote(field.column)}" for field in user_fields
    ]
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(ApiKey._meta.db_table)} k "  # noqa: S608 - names from model metadata, values bound
        f"JOIN {quote(User._meta.db_table)} u ON u.{quote(User._meta.pk.column)} = k.{quote('user_id')} "
        "WHERE k.key_hash = %s AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > %s) LIMIT 1"
    )
    return sql, key_fields, user_fields


def _instance(model, fields, values):
    converted = [field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
                 for field, value in zip(fields, values, strict=True)]  # fmt: skip
    return model.from_db(connection.alias, [field.attname for field in fields], converted)


def _active_key_with_user(digest: str) -> ApiKey | None:
    sql, key_fields, user_fields = _active_key_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [digest, timezone.now()])
        row = cursor.fetchone()
    if row is None:
        return None
    api_key = _instance(ApiKey, key_fields, row[: len(key_fields)])
    api_key.user = _instance(User, user_fields, row[len(key_fields) :])
    return api_key


def api_key_authenticate(secret: str) -> ApiKey | None:
    """The active key with this secret, or None. Records when it was last used (at most once a minute)."""
    if not secret.startswith(API_KEY_PREFIX):
        return None
    digest = secret_hash(secret)
    api_key = _active_key_with_user(digest)
    if api_key is None or not secrets_equal(api_key.key_hash, digest) or not api_key.user.is_active:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def _invitation_token(invitation: Invitation, nonce: str) -> str:
    return signing.dumps({"i": str(invitation.id), "n": nonce}, salt=INVITATION_SALT, compress=True)


def invitation_email_clean(email: str) -> str:
    """The normalized address to invite; ValidationError when invalid or already a user."""
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": ["Enter a valid email address."]}) from error
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ["A user with this email address already exists."]})
    return email


def invitation_create(*, email: str, invited_by: User | None = None) -> tuple[Invitation, str]:
    """Create an invitation and email its link; returns the invitation and the link."""
    email = invitation_email_clean(email)
    nonce = secrets.token_urlsafe(24)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            email=email,
            invited_by=invited_by,
            nonce_hash=secret_hash(nonce),
            expires_at=timezone.now() + timedelta(seconds=settings.INVITATION_MAX_AGE_SECONDS),
        )
    link = f"{settings.PRELOOP_URL}/invite/{_invitation_token(invitation, nonce)}"
    context = {"invitation": invitation, "link": link, "inviter": invited_by}
    send_mail(
        subject="You are invited to Preloop",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[email],
    )
    return invitation, link


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation a link stands for; InvitationInvalid says why not."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=settings.INVITATION_MAX_AGE_SECONDS)
        invitation = Invitation.objects.get(id=data["i"])
    except signing.SignatureExpired as error:
        raise InvitationInvalid("This invitation has expired; ask for a new one.") from error
    except (signing.BadSignature, Invitation.DoesNotExist, KeyError, ValueError, ValidationError) as error:
        raise InvitationInvalid("This invitation link is not valid.") from error
    if not secrets_equal(invitation.nonce_hash, secret_hash(str(data.get("n", "")))):
        raise InvitationInvalid("This invitation link is not valid.")
    if invitation.accepted_at:
        raise InvitationInvalid("This invitation has already been used; sign in instead.")
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid("This invitation has expired; ask for a new one.")
    return invitation


def invitation_accept(*, token: str, password: str, full_name: str = "") -> User:
    """Create the invited user; the link works once."""
    with transaction.atomic():
        invitation = invitation_from_token(token)
        # Lock the row so two simultaneous submissions cannot both accept it.
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at:
            raise InvitationInvalid("This invitation has already been used; sign in instead.")
        user = user_create(email=invitation.email, password=password, full_name=full_name)
        invitation.accepted_at = timezone.now()
        invitation.user = user
        invitation.save(update_fields=["accepted_at", "user"])
    return user
