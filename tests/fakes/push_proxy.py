"""A fake Preloop push proxy: Bearer API key, the documented payload, an answer per device."""

from __future__ import annotations

import json

from .server import FakeServer, Request, Response

PATH = "/api/v1/push/proxy"


class FakePushProxy(FakeServer):
    def __init__(self, api_key: str = "pk_test_push_proxy") -> None:
        super().__init__()
        self.api_key = api_key
        self.pushes: list[dict] = []
        self.route("POST", PATH, self._push)

    @property
    def proxy_url(self) -> str:
        return self.url + PATH

    def _push(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Response(401, {"detail": "Invalid API key or missing push_proxy scope."})
        payload = json.loads(request.body)
        devices = payload.get("devices")
        problems = []
        if not isinstance(devices, list) or not devices:
            problems.append("devices: a non-empty list")
        elif any(device.get("platform") not in ("ios", "android") or not device.get("token") for device in devices):
            problems.append("devices: each needs platform ios|android and a token")
        for field in ("title", "body"):
            if not isinstance(payload.get(field), str) or not payload[field]:
                problems.append(f"{field}: required")
        if not (payload.get("data") or {}).get("request_id"):
            problems.append("data.request_id: required")
        if problems:
            return Response(422, {"detail": "Invalid push", "errors": problems})
        self.pushes.append(payload)
        results = [{"token": device["token"][-6:], "status": "delivered"} for device in devices]
        return Response(200, {"success": True, "sent": len(devices), "failed": 0, "results": results})
