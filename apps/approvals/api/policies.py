"""`/api/v1/approval-policies`: who approves, how many of them, for how long, and how they are told."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status

from apps.approvals import policies, selectors
from apps.approvals.api.serializers import ApprovalPolicyInputSerializer, ApprovalPolicySerializer
from apps.approvals.errors import ApprovalPolicyInUse
from preloop.api.errors import error_response
from preloop.api.resources import ResourceViewSet

TAG = "approval-policies"
INVALID = OpenApiResponse(description='`{"detail": "Invalid input: approvals_required.", "errors": '
                                      '{"approvals_required": ["2 approvals cannot come from 1 approver(s)."]}}`')  # fmt: skip
IN_USE = OpenApiResponse(description="The policy is named by tool configurations or rules; choose another there first.")


@extend_schema_view(
    list=extend_schema(tags=[TAG], summary="List your approval policies"),
    create=extend_schema(tags=[TAG], request=ApprovalPolicyInputSerializer,
                         responses={201: ApprovalPolicySerializer, 400: INVALID},
                         summary="Create an approval policy (approvers default to you)"),
    retrieve=extend_schema(tags=[TAG], summary="Get an approval policy"),
    update=extend_schema(tags=[TAG], request=ApprovalPolicyInputSerializer(partial=True),
                         responses={200: ApprovalPolicySerializer, 400: INVALID},
                         summary="Change an approval policy (send only the fields to change)"),
    partial_update=extend_schema(tags=[TAG], request=ApprovalPolicyInputSerializer(partial=True),
                                 responses={200: ApprovalPolicySerializer, 400: INVALID},
                                 summary="Change an approval policy (send only the fields to change)"),
    destroy=extend_schema(tags=[TAG], responses={204: None, 409: IN_USE},
                          summary="Delete an approval policy (requests made under it keep their snapshot)"),
)  # fmt: skip
class ApprovalPolicyViewSet(ResourceViewSet):
    output_serializer_class = ApprovalPolicySerializer
    input_serializer_class = ApprovalPolicyInputSerializer
    lookup_url_kwarg = "policy_id"

    def get_queryset(self):
        return selectors.approval_policy_list(user=self.request.user)

    def perform_create(self, data):
        return policies.approval_policy_create(owner=self.request.user, **data)

    def perform_update(self, instance, data):
        return policies.approval_policy_update(policy=instance, **data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        try:
            return super().destroy(request, *args, **kwargs)
        except ApprovalPolicyInUse as in_use:
            return error_response(str(in_use), status.HTTP_409_CONFLICT)

    def perform_destroy(self, instance):
        policies.approval_policy_delete(policy=instance)
