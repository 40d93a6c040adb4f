"""`/api/v1/approval-requests`: the requests you made and those addressed to you, and deciding on them."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.approvals import selectors, services
from apps.approvals.api.serializers import (
    ApprovalRequestFilterSerializer,
    ApprovalRequestSerializer,
    CommentSerializer,
    ConflictSerializer,
    DecideSerializer,
)
from apps.approvals.errors import ApprovalAlreadyFinished, ApprovalNotAnApprover
from preloop.api.errors import error_response

TAG = "approval-requests"
NOT_APPROVER = OpenApiResponse(description="You can see the request (you made it) but are not one of its approvers.")
FINISHED = OpenApiResponse(ConflictSerializer, description=(
    "The request has ended (approved, declined, expired, cancelled), or you decided on it already; the body "
    "carries its current state."))  # fmt: skip


def conflict_response(finished: ApprovalAlreadyFinished, context: dict) -> Response:
    request = finished.request
    data = {"detail": str(finished), "errors": {}, "status": request.status,
            "approval_request": ApprovalRequestSerializer(request, context=context).data}  # fmt: skip
    return Response(data, status=status.HTTP_409_CONFLICT)


class ApprovalRequestListView(generics.ListAPIView):
    serializer_class = ApprovalRequestSerializer

    def get_queryset(self):
        filters = ApprovalRequestFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.approval_request_list(user=self.request.user, status=filters.validated_data.get("status"))

    @extend_schema(tags=[TAG], parameters=[ApprovalRequestFilterSerializer],
                   summary="List approval requests you made or that are addressed to you (newest first)")  # fmt: skip
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _visible_request(request, request_id):
    try:
        return selectors.approval_request_list(user=request.user).get(pk=request_id)
    except ObjectDoesNotExist as error:
        raise exceptions.NotFound() from error


class ApprovalRequestDetailView(APIView):
    @extend_schema(tags=[TAG], responses={200: ApprovalRequestSerializer}, summary="Get an approval request")
    def get(self, request, request_id):
        instance = _visible_request(request, request_id)
        return Response(ApprovalRequestSerializer(instance, context={"request": request}).data)


class _DecisionView(APIView):
    """Decide on a request addressed to you: 403 when you are not its approver, 409 when it has ended."""

    approve: bool | None = None  # None: the body says
    input_serializer = DecideSerializer

    def post(self, request, request_id):
        instance = _visible_request(request, request_id)
        body = self.input_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        approve = body.validated_data["approve"] if self.approve is None else self.approve
        context = {"request": request}
        try:
            decided = services.approval_request_decide(request=instance, approver=request.user, approve=approve,
                                                       comment=body.validated_data["comment"], via="api")  # fmt: skip
        except ApprovalNotAnApprover as refused:
            return error_response(str(refused), status.HTTP_403_FORBIDDEN)
        except ApprovalAlreadyFinished as finished:
            return conflict_response(finished, context)
        fresh = selectors.approval_request_list(user=request.user).get(pk=decided.pk)
        return Response(ApprovalRequestSerializer(fresh, context=context).data)


RESPONSES = {200: ApprovalRequestSerializer, 403: NOT_APPROVER, 409: FINISHED}


class ApprovalRequestDecideView(_DecisionView):
    @extend_schema(tags=[TAG], request=DecideSerializer, responses=RESPONSES,
                   summary="Approve or decline an approval request addressed to you")  # fmt: skip
    def post(self, request, request_id):
        return super().post(request, request_id)


class ApprovalRequestApproveView(_DecisionView):
    approve = True
    input_serializer = CommentSerializer

    @extend_schema(tags=[TAG], request=CommentSerializer, responses=RESPONSES,
                   summary="Approve an approval request addressed to you")  # fmt: skip
    def post(self, request, request_id):
        return super().post(request, request_id)


class ApprovalRequestDeclineView(_DecisionView):
    approve = False
    input_serializer = CommentSerializer

    @extend_schema(tags=[TAG], request=CommentSerializer, responses=RESPONSES,
                   summary="Decline an approval request addressed to you")  # fmt: skip
    def post(self, request, request_id):
        return super().post(request, request_id)
