import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_services(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_database_and_redis(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_readyz_is_unavailable_when_redis_is_unreachable(client, tmp_path):
    with override_settings(REDIS_URL=f"unix://{tmp_path / 'nothing.sock'}"):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "unreachable"}


def test_probes_answer_any_host_name_as_kubernetes_sends_the_pod_ip(client, settings):
    settings.ALLOWED_HOSTS = ["preloop.example.com"]
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/api/v1/auth/me", HTTP_HOST="10.1.2.3:8000").status_code == 400
