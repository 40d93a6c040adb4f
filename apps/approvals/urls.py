"""Public, token-based URLs of the one-click approval links (no session, no API key)."""

from django.urls import path

from apps.approvals.api.public import PublicApprovalDataView, PublicApprovalDecideView
from apps.approvals.views import approval_link_view

urlpatterns = [
    path("approval/<uuid:request_id>", approval_link_view, name="approval-link"),
    path("approval/<uuid:request_id>/data", PublicApprovalDataView.as_view(), name="approval-link-data"),
    path("approval/<uuid:request_id>/decide", PublicApprovalDecideView.as_view(), name="approval-link-decide"),
]
