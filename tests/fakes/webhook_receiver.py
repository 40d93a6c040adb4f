"""A receiver of Preloop's signed webhooks that verifies them as the README tells users to."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from .server import FakeServer, Request, Response

REPLAY_WINDOW_SECONDS = 300


class FakeWebhookReceiver(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.secret = ""
        self.verified: list[dict] = []
        self.rejected: list[str] = []
        self.route("POST", "/hooks/preloop", self._receive)

    @property
    def hook_url(self) -> str:
        return self.url + "/hooks/preloop"

    def _receive(self, request: Request) -> Response:
        timestamp = request.headers.get("x-preloop-timestamp", "")
        signature = request.headers.get("x-preloop-signature", "")
        expected = (
            "sha256="
            + hmac.new(self.secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
        )
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            self.rejected.append("bad signature")
            return Response(401, {"error": "bad signature"})
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > REPLAY_WINDOW_SECONDS:
            self.rejected.append("stale timestamp")
            return Response(401, {"error": "stale timestamp"})
        self.verified.append({"headers": request.headers, "body": json.loads(request.body)})
        return Response(200, {"received": True})
