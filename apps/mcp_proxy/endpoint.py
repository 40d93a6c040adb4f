"""`/mcp/v1`: the ASGI entry in front of the SDK. Checks the Origin, authenticates, then hands over to the cluster.

Authentication is `Authorization: Bearer <JWT or API key with the mcp scope>`; a failure is a 401
with `WWW-Authenticate: Bearer …` and a JSON body naming the problem, as MCP's authorization spec asks.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken

from apps.accounts.authentication import CredentialInvalid, credential_authenticate
from apps.accounts.models import Scope
from apps.mcp_proxy.threads import in_thread

MCP_PATH = "/mcp/v1"
LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _json_response(send, status: int, body: dict, headers: list[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *headers]})  # fmt: skip
    await send({"type": "http.response.body", "body": payload})


def origin_allowed(origin: str, host: str) -> bool:
    """A browser's Origin must be Preloop's own: listed, or the same allowed host the request came to.

    This is the DNS-rebinding defence: a page on evil.example that rebinds its name to this server
    still sends `Origin: http://evil.example`.
    """
    if origin in settings.MCP_ALLOWED_ORIGINS or "*" in settings.MCP_ALLOWED_ORIGINS:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    origin_host = parts.hostname.lower()
    request_host, _port = split_domain_port(host or "")
    if origin_host in LOOPBACK:
        return request_host in LOOPBACK or request_host == ""
    explicit_hosts = [allowed for allowed in settings.ALLOWED_HOSTS if allowed != "*"]
    return origin_host == request_host and validate_host(origin_host, explicit_hosts)


def _unauthorized(problem: str, error: str = "invalid_token"):
    challenge = f'Bearer realm="preloop", error="{error}", error_description="{problem}"'
    return 401, {"error": error, "error_description": problem, "detail": problem}, [
        (b"www-authenticate", challenge.encode())]  # fmt: skip


def _authenticate(authorization: str | None):
    """(user, credential) or (status, body, headers) of the refusal."""
    if not authorization:
        return _unauthorized("Authorization: Bearer <JWT or API key with the mcp scope> is required.")
    keyword, _, token = authorization.partition(" ")
    if keyword.lower() != "bearer" or not token.strip():
        return _unauthorized("Authorization must be 'Bearer <token>'.")
    try:
        user, credential = credential_authenticate(token.strip())
    except CredentialInvalid as problem:
        return _unauthorized(str(problem))
    if not credential.allows(Scope.MCP):
        challenge = b'Bearer realm="preloop", error="insufficient_scope", scope="mcp"'
        problem = "This credential lacks the 'mcp' scope."
        return 403, {"error": "insufficient_scope", "error_description": problem, "detail": problem}, [
            (b"www-authenticate", challenge)]  # fmt: skip
    return user, credential


class McpEndpoint:
    """ASGI app for `/mcp/v1` (Channels routes the path here before Django)."""

    def __init__(self, cluster=None):
        self._cluster = cluster

    @property
    def cluster(self):
        if self._cluster is None:
            from apps.mcp_proxy.cluster import McpCluster

            self._cluster = McpCluster()
        return self._cluster

    async def __call__(self, scope, receive, send) -> None:
        origin = _header(scope, b"origin")
        if origin and not origin_allowed(origin, _header(scope, b"host") or ""):
            problem = f"Origin {origin} may not use this MCP endpoint."
            await _json_response(send, 403, {"error": "forbidden_origin", "detail": problem})
            return
        outcome = await in_thread(_authenticate, _header(scope, b"authorization"))
        if isinstance(outcome[0], int):
            await _json_response(send, *outcome)
            return
        user, credential = outcome
        principal = AccessToken(token="", client_id=f"preloop-user:{user.pk}", scopes=sorted(credential.scopes))
        scope = {
            **scope,
            "user": AuthenticatedUser(principal),  # the SDK binds each session to this principal
            "preloop.user": user,
            "preloop.credential_id": credential.api_key_id or credential.token_id or "",
            "preloop.session_id": _header(scope, b"mcp-session-id"),
        }
        await self.cluster.handle(scope, receive, send)


def mcp_route(mcp_app, django_app):
    """The HTTP branch: `/mcp/v1` to the MCP endpoint, everything else to Django."""
    paths = {MCP_PATH, MCP_PATH + "/"}

    async def route(scope, receive, send):
        if scope.get("path") in paths:
            await mcp_app(scope, receive, send)
        else:
            await django_app(scope, receive, send)

    return route
