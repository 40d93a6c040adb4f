import pytest

from apps.system.selectors import instance_get
from apps.system.version_check import version_check_run
from preloop import __version__

pytestmark = pytest.mark.django_db


def test_it_sends_only_the_instance_uuid_and_version(version_server, settings):
    settings.VERSION_CHECK_URL = version_server.url
    assert version_check_run() == "9.9.9"
    [request] = version_server.received
    assert request["body"] == {"instance_uuid": str(instance_get().uuid), "version": __version__}
    assert "Authorization" not in request["headers"] and "Cookie" not in request["headers"]
    assert instance_get().latest_version == "9.9.9"


def test_the_instance_uuid_is_stable(version_server, settings):
    settings.VERSION_CHECK_URL = version_server.url
    version_check_run()
    version_check_run()
    first, second = (request["body"]["instance_uuid"] for request in version_server.received)
    assert first == second


@pytest.mark.parametrize("flag", ["PRELOOP_DISABLE_TELEMETRY", "DISABLE_VERSION_CHECK"])
def test_either_flag_turns_it_off(version_server, settings, flag):
    settings.VERSION_CHECK_URL = version_server.url
    setattr(settings, flag, True)
    assert version_check_run() is None
    assert version_server.received == []


def test_an_unreachable_server_changes_nothing(settings):
    from tests.conftest import free_port

    settings.VERSION_CHECK_URL = f"http://127.0.0.1:{free_port()}/check"
    assert version_check_run() is None
    assert instance_get().version_checked_at is None


def test_the_scheduler_runs_it_at_start_and_daily():
    from apps.system.schedule import PERIODIC_JOBS

    [job] = [job for job in PERIODIC_JOBS if job.name == "version_check"]
    assert job.run_at_start and job.interval_seconds == 24 * 3600
