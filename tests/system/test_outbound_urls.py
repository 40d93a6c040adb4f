"""User-supplied URLs must not let a user make Preloop call its own network (SSRF)."""

import pytest

from preloop.http import OutboundUrlRefused, outbound_url_check
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/",
        "http://localhost/",
        "http://10.0.0.5/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://0.0.0.0/",
    ],
)
def test_non_public_addresses_are_refused_when_private_urls_are_off(url):
    with pytest.raises(OutboundUrlRefused, match="non-public address"):
        outbound_url_check(url, allow_private=False)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://example.com/", "ftp://example.com/", "http:///x"])
def test_other_schemes_are_refused_always(url):
    with pytest.raises(OutboundUrlRefused, match="Only http"):
        outbound_url_check(url, allow_private=True)


def test_development_allows_loopback_so_local_servers_work():
    assert outbound_url_check("http://127.0.0.1:9000/", allow_private=True) == "http://127.0.0.1:9000/"


def test_a_tracker_pointing_at_the_metadata_service_is_refused(alice, settings):
    settings.ALLOW_PRIVATE_OUTBOUND_URLS = False
    response = client_for(alice).post("/api/v1/trackers", {
        "name": "Sneaky", "tracker_type": "gitlab", "url": "http://169.254.169.254", "api_token": "t",
    }, format="json")  # fmt: skip
    assert response.status_code == 400 and "non-public address" in response.json()["errors"]["url"][0]


def test_a_saved_tracker_is_checked_again_when_used(alice, settings):
    from apps.trackers.sync import tracker_sync
    from tests.trackers.factories import tracker_for

    tracker = tracker_for(alice, tracker_type="gitlab", url="http://127.0.0.1:9", api_token="t")
    settings.ALLOW_PRIVATE_OUTBOUND_URLS = False
    summary = tracker_sync(tracker=tracker)
    assert not summary.ok and "non-public address" in summary.errors[0]
    report = client_for(alice).post("/api/v1/projects/test-connection", {"tracker_id": str(tracker.id)},
                                    format="json").json()  # fmt: skip
    assert report["success"] is False and report["problem"] == "url_refused"
