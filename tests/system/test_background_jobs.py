import pytest
from dramatiq.brokers.redis import RedisBroker

from apps.system.schedule import PERIODIC_JOBS
from apps.system.selectors import instance_get

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(dramatiq_worker):
    return dramatiq_worker


def test_a_scheduled_job_goes_through_redis_to_a_worker(worker, version_server, settings):
    settings.VERSION_CHECK_URL = version_server.url
    [job] = [job for job in PERIODIC_JOBS if job.name == "version_check"]
    assert isinstance(worker, RedisBroker)
    job.enqueue()
    worker.join("default", timeout=10_000)
    assert len(version_server.received) == 1
    assert instance_get().latest_version == "9.9.9"
