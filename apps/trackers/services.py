"""Writes of trackers, organizations and projects. Rules live in Model.clean(), checked here."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.trackers.models import Organization, Project, Tracker

UNIQUE_MESSAGES = {
    Tracker: ("name", "You already have a tracker with this name."),
    Organization: ("identifier", "This tracker already has an organization with this identifier."),
    Project: ("identifier", "This organization already has a project with this identifier."),
}


def _save(instance, *, fields: dict):
    for field, value in fields.items():
        setattr(instance, field, value)
    instance.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        field, message = UNIQUE_MESSAGES[type(instance)]
        raise ValidationError({field: [message]}) from error
    return instance


def tracker_create(*, owner, **fields) -> Tracker:
    return _save(Tracker(owner=owner), fields=fields)


def tracker_update(*, tracker: Tracker, **fields) -> Tracker:
    return _save(tracker, fields=fields)


def tracker_delete(*, tracker: Tracker) -> None:
    tracker.delete()


def organization_create(*, tracker: Tracker, **fields) -> Organization:
    return _save(Organization(tracker=tracker), fields=fields)


def organization_update(*, organization: Organization, **fields) -> Organization:
    return _save(organization, fields=fields)


def organization_delete(*, organization: Organization) -> None:
    organization.delete()


def project_create(*, organization: Organization, **fields) -> Project:
    return _save(Project(organization=organization), fields=fields)


def project_update(*, project: Project, **fields) -> Project:
    return _save(project, fields=fields)


def project_delete(*, project: Project) -> None:
    project.delete()
