"""The one-click links' endpoints: `/approval/{request_id}/data?token=…` and `/approval/{request_id}/decide?token=…`.

No session and no API key: the token in the link is the credential. It belongs to one approver of one request,
is stored hashed, works once and ends with the request. What a bad token gets, and changes (nothing):
missing → 400, wrong (or another request's) → 403, used → 410, request expired or cancelled → 410; a
request that others already approved or declined → 409 with its state.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.approvals import services
from apps.approvals.api.serializers import DecideSerializer, PublicApprovalSerializer, PublicErrorSerializer
from apps.approvals.errors import ApprovalAlreadyFinished, ApprovalNotAnApprover, ApprovalTokenInvalid

TAG = "approval-links"
TOKEN = OpenApiParameter("token", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True,
                         description="The approver's link token (from the notification).")  # fmt: skip
TOKEN_STATUS = {
    ApprovalTokenInvalid.MISSING: status.HTTP_400_BAD_REQUEST,
    ApprovalTokenInvalid.WRONG: status.HTTP_403_FORBIDDEN,
    ApprovalTokenInvalid.USED: status.HTTP_410_GONE,
    ApprovalTokenInvalid.EXPIRED: status.HTTP_410_GONE,
}
TOKEN_ERRORS = {
    400: OpenApiResponse(PublicErrorSerializer, description="No token (`reason: missing`), or a malformed body."),
    403: OpenApiResponse(PublicErrorSerializer, description="A wrong token, or one of another request (`wrong`)."),
    410: OpenApiResponse(
        PublicErrorSerializer,
        description="The token was used (`used`), or the request expired or was cancelled (`expired`).",
    ),
}
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def token_error_response(invalid: ApprovalTokenInvalid) -> Response:
    body = {"detail": str(invalid), "errors": {"token": [str(invalid)]}, "reason": invalid.reason}
    return Response(body, status=TOKEN_STATUS[invalid.reason], headers=NO_STORE)


def public_data(request, approver) -> dict:
    return PublicApprovalSerializer(request, context={"approver": approver}).data


class _PublicView(APIView):
    authentication_classes: list = []  # the link's token is the credential; no cookie, so no CSRF to forge
    permission_classes = [AllowAny]


class PublicApprovalDataView(_PublicView):
    @extend_schema(tags=[TAG], parameters=[TOKEN], auth=[],
                   responses={200: PublicApprovalSerializer, **TOKEN_ERRORS},
                   summary="The call a one-click link asks about (public, token-based)")  # fmt: skip
    def get(self, request, request_id):
        try:
            instance, approver = services.approval_token_check(request_id=request_id,
                                                               raw_token=request.query_params.get("token"))  # fmt: skip
        except ApprovalTokenInvalid as invalid:
            return token_error_response(invalid)
        return Response(public_data(instance, approver), headers=NO_STORE)


class PublicApprovalDecideView(_PublicView):
    @extend_schema(
        tags=[TAG], parameters=[TOKEN], auth=[], request=DecideSerializer,
        responses={200: PublicApprovalSerializer, **TOKEN_ERRORS,
                   409: OpenApiResponse(PublicErrorSerializer, description="Others ended the request already, or "
                                        "you decided already: `reason: finished`, `status` its state.")},
        summary="Approve or decline through a one-click link (public, token-based; the token works once)",
    )  # fmt: skip
    def post(self, request, request_id):
        body = DecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            decided, approver = services.approval_token_decide(
                request_id=request_id, raw_token=request.query_params.get("token"),
                approve=body.validated_data["approve"], comment=body.validated_data["comment"],
            )  # fmt: skip
        except ApprovalTokenInvalid as invalid:
            return token_error_response(invalid)
        except ApprovalNotAnApprover as refused:
            return Response({"detail": str(refused), "errors": {}, "reason": "wrong"}, status=403, headers=NO_STORE)
        except ApprovalAlreadyFinished as finished:
            body = {"detail": str(finished), "errors": {}, "reason": "finished", "status": finished.request.status}
            return Response(body, status=status.HTTP_409_CONFLICT, headers=NO_STORE)
        return Response(public_data(decided, approver), headers=NO_STORE)
