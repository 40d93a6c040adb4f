"""Tools over plain HTTP: `POST /api/v1/mcp/{tool_name}` through the same pipeline as MCP's tools/call."""

from __future__ import annotations

from adrf.views import APIView as AsyncAPIView
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from apps.accounts.models import Scope
from apps.accounts.permissions import request_credential
from apps.mcp_proxy import selectors
from apps.mcp_proxy.api.serializers import (
    ToolCallFilterSerializer,
    ToolCallSerializer,
    ToolListingSerializer,
    ToolResultSerializer,
)
from apps.mcp_proxy.models import ToolCallOutcome
from apps.mcp_proxy.pipeline import CallContext, ToolCallRefused, ToolNotVisible, tool_call_execute
from apps.mcp_proxy.registry import tools_visible
from apps.mcp_proxy.threads import in_thread

ERROR = OpenApiResponse(description='`{"detail": "...", "errors": {...}, "tool_call_id": "..."}`')
REFUSED = OpenApiResponse(
    description='Refused by your tool configuration, not run: `{"detail": "Denied by your rule '
    '#2 (...)", "errors": {}, "reason": "denied" | "approval_required"}`'
)
FILTER_ERROR = OpenApiResponse(
    description='A malformed filter: `{"detail": "Invalid input: since.", "errors": {"since": ["..."]}}`'
)
# A tool's own refusal is the caller's to correct (400); a crash inside the tool is ours (500).
OUTCOME_STATUS = {ToolCallOutcome.TOOL_ERROR: status.HTTP_400_BAD_REQUEST,
                  ToolCallOutcome.DENIED: status.HTTP_400_BAD_REQUEST,
                  ToolCallOutcome.ERROR: status.HTTP_500_INTERNAL_SERVER_ERROR}  # fmt: skip


class ToolListView(AsyncAPIView):
    required_scope = Scope.MCP

    @extend_schema(tags=["tools"], responses={200: ToolListingSerializer(many=True)},
                   summary="The tools you may call (as MCP tools/list shows them)")  # fmt: skip
    async def get(self, request):
        specs = await in_thread(tools_visible, user=request.user)
        return Response([spec.as_listing() for spec in specs])


class ToolCallView(AsyncAPIView):
    required_scope = Scope.MCP

    @extend_schema(
        tags=["tools"], request=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("tool_name", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: ToolResultSerializer, 400: ERROR, 403: REFUSED, 404: ERROR, 500: ERROR, 503: ERROR},
        summary="Call a tool with its arguments as the JSON body (the same checks and audit as MCP)",
    )  # fmt: skip
    async def post(self, request, tool_name: str):
        credential = request_credential(request)
        context = CallContext(user=request.user, credential_id=credential.api_key_id or credential.token_id or "")
        arguments = request.data
        try:
            result = await tool_call_execute(context=context, tool_name=tool_name, arguments=arguments)
        except ToolNotVisible as refusal:
            return Response({"detail": str(refusal), "errors": {}}, status=status.HTTP_404_NOT_FOUND)
        except ToolCallRefused as refusal:
            if refusal.reason == "internal_error":
                return Response({"detail": str(refusal), "errors": {}}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
            return Response({"detail": str(refusal), "errors": {}, "reason": refusal.reason},
                            status=status.HTTP_403_FORBIDDEN)  # fmt: skip
        if result.is_error:
            field = "arguments" if result.outcome == ToolCallOutcome.DENIED else "tool"
            return Response({"detail": result.text, "errors": {field: [result.text]},
                             "tool_call_id": result.tool_call_id}, status=OUTCOME_STATUS[result.outcome])  # fmt: skip
        body = {"tool_call_id": result.tool_call_id, "outcome": result.outcome, "structured": result.structured,
                "text": result.text}  # fmt: skip
        if result.content is not None:  # a proxied tool's own content blocks (images, resources, …)
            body["content"] = result.content
        return Response(body)


@extend_schema(tags=["tools"], summary="Your tool calls (the audit), newest first, 50 a page",
               parameters=[ToolCallFilterSerializer],
               responses={200: ToolCallSerializer(many=True), 400: FILTER_ERROR})  # fmt: skip
class ToolCallListView(generics.ListAPIView):
    serializer_class = ToolCallSerializer

    def list(self, request, *args, **kwargs):
        # An empty parameter (`?since=`, as an HTML form sends it) is no filter, not a malformed one.
        given = {name: value for name, value in request.query_params.items() if value != ""}
        filters = ToolCallFilterSerializer(data=given)
        filters.is_valid(raise_exception=True)  # a malformed filter is a 400 naming it, never a silent "all"
        self.filters = filters.validated_data
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.tool_call_list(user=self.request.user, **getattr(self, "filters", {}))
