from django.urls import path

from apps.approvals.api.policies import ApprovalPolicyViewSet
from apps.approvals.api.requests import (
    ApprovalRequestApproveView,
    ApprovalRequestDecideView,
    ApprovalRequestDeclineView,
    ApprovalRequestDetailView,
    ApprovalRequestListView,
)

COLLECTION = {"get": "list", "post": "create"}
MEMBER = {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}

urlpatterns = [
    path("approval-policies", ApprovalPolicyViewSet.as_view(COLLECTION), name="approval-policy-list"),
    path("approval-policies/<uuid:policy_id>", ApprovalPolicyViewSet.as_view(MEMBER), name="approval-policy-detail"),
    path("approval-requests", ApprovalRequestListView.as_view(), name="approval-request-list"),
    path("approval-requests/<uuid:request_id>", ApprovalRequestDetailView.as_view(), name="approval-request-detail"),
    path("approval-requests/<uuid:request_id>/approve", ApprovalRequestApproveView.as_view(),
         name="approval-request-approve"),
    path("approval-requests/<uuid:request_id>/decline", ApprovalRequestDeclineView.as_view(),
         name="approval-request-decline"),
    path("approval-requests/<uuid:request_id>/decide", ApprovalRequestDecideView.as_view(),
         name="approval-request-decide"),
]  # fmt: skip
