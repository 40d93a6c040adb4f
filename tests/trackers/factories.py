from apps.trackers import services


def tracker_for(user, name="GitHub", **fields):
    defaults = {"name": name, "tracker_type": "github", "api_token": "ghp_secret_token_1234"}
    return services.tracker_create(owner=user, **{**defaults, **fields})


def organization_for(user, identifier="acme", tracker=None):
    tracker = tracker or tracker_for(user, name=f"tracker for {identifier}")
    return services.organization_create(tracker=tracker, name=identifier.title(), identifier=identifier)


def project_for(user, identifier="api", organization=None):
    organization = organization or organization_for(user, identifier=f"org-{identifier}")
    return services.project_create(organization=organization, name=identifier.upper(), identifier=identifier)
