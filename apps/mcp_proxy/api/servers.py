"""`/api/v1/mcp-servers`: register, change, scan and inspect external MCP servers."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.response import Response

from apps.mcp_proxy import selectors, services
from apps.mcp_proxy.api.serializers import (
    ExternalMcpServerInputSerializer,
    ExternalMcpServerSerializer,
    McpServerScanSerializer,
    ProxiedToolSerializer,
)
from preloop.api.resources import ResourceViewSet

TAG = "mcp-servers"


@extend_schema_view(
    list=extend_schema(tags=[TAG], summary="List your external MCP servers"),
    create=extend_schema(tags=[TAG], request=ExternalMcpServerInputSerializer,
                         responses={201: ExternalMcpServerSerializer}, summary="Register an external MCP server"),
    retrieve=extend_schema(tags=[TAG], summary="Get an external MCP server and its health"),
    update=extend_schema(tags=[TAG], request=ExternalMcpServerInputSerializer(partial=True),
                         responses={200: ExternalMcpServerSerializer},
                         summary="Update an external MCP server (send only the fields to change)"),
    destroy=extend_schema(tags=[TAG], responses={204: None}, summary="Delete an external MCP server"),
)  # fmt: skip
class ExternalMcpServerViewSet(ResourceViewSet):
    output_serializer_class = ExternalMcpServerSerializer
    input_serializer_class = ExternalMcpServerInputSerializer
    lookup_url_kwarg = "server_id"

    def get_queryset(self):
        return selectors.mcp_server_list(user=self.request.user)

    def perform_create(self, data):
        return services.mcp_server_create(owner=self.request.user, **data)

    def perform_update(self, instance, data):
        return services.mcp_server_update(server=instance, **data)

    def perform_destroy(self, instance):
        services.mcp_server_delete(server=instance)


class McpServerScanView(generics.GenericAPIView):
    serializer_class = McpServerScanSerializer

    def get_queryset(self):
        return selectors.mcp_server_list(user=self.request.user)

    @extend_schema(tags=[TAG], request=None, responses={200: McpServerScanSerializer},
                   summary="Scan the server now: connect, list its tools, prompts and resources, record its health")  # fmt: skip
    def post(self, request, server_id):
        server = generics.get_object_or_404(self.get_queryset(), id=server_id)
        ok = services.mcp_server_scan(server=server)
        return Response({"ok": ok, "server": ExternalMcpServerSerializer(server).data})


class McpServerToolsView(generics.GenericAPIView):
    serializer_class = ProxiedToolSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.mcp_server_list(user=self.request.user)

    @extend_schema(tags=[TAG], responses={200: ProxiedToolSerializer(many=True)},
                   summary="The tools the last scan found, with the names clients will call them by")  # fmt: skip
    def get(self, request, server_id):
        server = generics.get_object_or_404(self.get_queryset(), id=server_id)
        return Response(selectors.mcp_server_tools(server=server))
