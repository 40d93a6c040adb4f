"""Reads of trackers, organizations and projects, always limited to the requesting user's own."""

from apps.trackers.models import Organization, Project, Tracker


def tracker_list(*, user):
    return Tracker.objects.filter(owner=user)


def tracker_get(*, user, tracker_id) -> Tracker:
    return tracker_list(user=user).get(id=tracker_id)


def organization_list(*, user, tracker=None):
    organizations = Organization.objects.filter(tracker__owner=user).select_related("tracker")
    return organizations.filter(tracker=tracker) if tracker else organizations


def organization_get(*, user, organization_id) -> Organization:
    return organization_list(user=user).get(id=organization_id)


def project_list(*, user, organization=None):
    projects = Project.objects.filter(organization__tracker__owner=user).select_related("organization")
    return projects.filter(organization=organization) if organization else projects


def project_get(*, user, project_id) -> Project:
    return project_list(user=user).get(id=project_id)
