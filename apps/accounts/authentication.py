"""`Authorization: Bearer <JWT or API key>` for every surface: REST, WebSocket and MCP."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework import authentication, exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from apps.accounts.models import ALL_SCOPES, User
from apps.accounts.services import API_KEY_PREFIX, api_key_authenticate


@dataclass(frozen=True)
class Credential:
    """How a request proved who it is, and what that proof allows."""

    kind: str  # "jwt" | "api_key" | "session"
    scopes: frozenset[str]
    api_key_id: str | None = None
    token_id: str | None = None

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


SESSION_CREDENTIAL = Credential(kind="session", scopes=ALL_SCOPES)


class CredentialInvalid(Exception):
    pass


def credential_authenticate(token: str) -> tuple[User, Credential]:
    """Resolve a bearer token (API key or JWT); raises CredentialInvalid when it is neither."""
    token = (token or "").strip()
    if not token:
        raise CredentialInvalid("No credentials were provided.")
    if token.startswith(API_KEY_PREFIX):
        api_key = api_key_authenticate(token)
        if api_key is None:
            raise CredentialInvalid("Invalid, revoked or expired API key.")
        return api_key.user, Credential(kind="api_key", scopes=frozenset(api_key.scopes), api_key_id=str(api_key.id))
    jwt = JWTAuthentication()
    try:
        validated = jwt.get_validated_token(token.encode())
        user = jwt.get_user(validated)
    except (InvalidToken, TokenError, exceptions.AuthenticationFailed) as error:
        raise CredentialInvalid("Invalid or expired token.") from error
    if not user.is_active:
        raise CredentialInvalid("This account is disabled.")
    return user, Credential(kind="jwt", scopes=ALL_SCOPES, token_id=str(validated.get("jti", "")))


class BearerAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
        try:
            return credential_authenticate(header[1].decode("latin-1"))
        except CredentialInvalid as error:
            raise exceptions.AuthenticationFailed(str(error)) from error

    def authenticate_header(self, request):
        return f'{self.keyword} realm="preloop"'
