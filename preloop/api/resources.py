"""The shape shared by CRUD endpoints of owned resources."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet


class ResourceViewSet(GenericViewSet):
    """CRUD for one owned resource: reads through `get_queryset` (a selector), writes through services.

    Subclasses set `output_serializer_class`, `input_serializer_class` and implement
    `get_queryset`, `perform_create`, `perform_update` and `perform_destroy`. Updates are partial,
    so a PUT may send only the fields it changes.
    """

    output_serializer_class: type[serializers.Serializer]
    input_serializer_class: type[serializers.Serializer]

    def get_serializer_class(self):
        return self.output_serializer_class

    def get_object(self):
        try:
            return self.get_queryset().get(pk=self.kwargs[self.lookup_url_kwarg])
        except ObjectDoesNotExist as error:
            raise exceptions.NotFound() from error

    def _validated(self, request, *, partial: bool) -> dict:
        data = self.input_serializer_class(data=request.data, partial=partial, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)

    def _render(self, instance, http_status=status.HTTP_200_OK) -> Response:
        return Response(
            self.output_serializer_class(instance, context=self.get_serializer_context()).data, status=http_status
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = self.output_serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    def create(self, request, *args, **kwargs):
        return self._render(self.perform_create(self._validated(request, partial=False)), status.HTTP_201_CREATED)

    def retrieve(self, request, *args, **kwargs):
        return self._render(self.get_object())

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        return self._render(self.perform_update(instance, self._validated(request, partial=True)))

    def destroy(self, request, *args, **kwargs):
        self.perform_destroy(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_create(self, data: dict):
        raise exceptions.MethodNotAllowed(self.request.method)

    def perform_update(self, instance, data: dict):
        raise exceptions.MethodNotAllowed(self.request.method)

    def perform_destroy(self, instance) -> None:
        raise exceptions.MethodNotAllowed(self.request.method)


def owned_or_field_error(field: str, lookup, **kwargs):
    """Resolve an id given in a request body through a user-scoped selector; 400 naming the field if not found."""
    try:
        return lookup(**kwargs)
    except (ObjectDoesNotExist, DjangoValidationError) as error:
        raise exceptions.ValidationError({field: ["Not found."]}) from error
