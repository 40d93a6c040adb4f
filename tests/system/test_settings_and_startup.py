"""Start-up behaviour of the `preloop` command and settings failures, run as real subprocesses."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2
import psycopg
import pytest
from django.core.management import call_command

from preloop.paths import BASE_DIR
from tests.conftest import free_port

PRELOOP = [sys.executable, "-m", "preloop.launcher"]


def run_preloop(*args, timeout=60, base_env=None, **env):
    environment = base_env or {k: v for k, v in os.environ.items() if k not in {"ENVIRONMENT", "SECRET_KEY"}}
    environment = {**environment, **env}
    return subprocess.run(
        [*PRELOOP, *args], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=timeout
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_preloop("web", ENVIRONMENT="production", PRELOOP_DATA_DIR=str(tmp_path))
    assert result.returncode == 2
    assert "SECRET_KEY is required when ENVIRONMENT=production" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_an_unknown_environment_is_named(tmp_path):
    result = run_preloop("web", ENVIRONMENT="staging", PRELOOP_DATA_DIR=str(tmp_path))
    assert result.returncode == 2
    assert "ENVIRONMENT must be development, production or test, not 'staging'" in result.stdout


def test_development_generates_a_secret_key_once_and_keeps_it(tmp_path):
    code = "from django.conf import settings; import django; django.setup(); print(settings.SECRET_KEY)"
    env = {**os.environ, "PRELOOP_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "preloop.settings"}
    env.pop("SECRET_KEY", None)
    first, second = (
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.strip()
        for _ in range(2)
    )
    assert len(first) >= 50 and first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_an_unreachable_database_gets_a_message_not_a_traceback(tmp_path):
    result = run_preloop(
        "migrate", DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/nothing", PRELOOP_DATA_DIR=str(tmp_path)
    )
    assert result.returncode == 2
    assert "Cannot connect to the database at DATABASE_URL" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def _system_postgres_without_pgvector() -> str | None:
    """This machine's own PostgreSQL (without pgvector), when it runs: the real case to check."""
    url = "postgresql://postgres@127.0.0.1:5432/postgres"
    try:
        with psycopg.connect(url, connect_timeout=2) as connection:
            has_vector = connection.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
    except psycopg.OperationalError:
        return None
    return None if has_vector else url


@pytest.mark.skipif(
    _system_postgres_without_pgvector() is None,
    reason="needs a PostgreSQL without pgvector on 127.0.0.1:5432 (trust auth) to point DATABASE_URL at",
)
def test_a_database_without_pgvector_gets_install_instructions(tmp_path):
    result = run_preloop("migrate", DATABASE_URL=_system_postgres_without_pgvector(), PRELOOP_DATA_DIR=str(tmp_path))
    assert result.returncode == 2
    assert "has no pgvector extension" in result.stdout and "CREATE EXTENSION vector" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    call_command("check", fail_level="WARNING")


def wait_for(url: str, deadline_seconds: float) -> httpx2.Response:
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            return httpx2.get(url, timeout=1)
        except httpx2.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


@pytest.fixture
def short_data_dir():
    data_dir = Path(tempfile.mkdtemp(prefix="pl-"))  # short: Unix socket paths are limited to 107 bytes
    data_dir.chmod(0o755)  # the embedded PostgreSQL runs as its own user when we are root
    yield data_dir
    shutil.rmtree(data_dir, ignore_errors=True)


def test_start_runs_everything_refuses_a_second_copy_and_stops_cleanly(short_data_dir):
    data_dir = short_data_dir
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "ENVIRONMENT", "SECRET_KEY"}
    }
    env.update(
        PRELOOP_DATA_DIR=str(data_dir),
        PRELOOP_PORT=str(port),
        DISABLE_VERSION_CHECK="true",
        PRELOOP_ADMIN_EMAIL="root@example.com",
        PRELOOP_ADMIN_PASSWORD="a long admin passphrase",
    )
    log_path = data_dir / "start.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([*PRELOOP, "start"], cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/healthz", 90).json() == {"status": "ok"}
        assert wait_for(f"http://127.0.0.1:{port}/readyz", 10).status_code == 200
        token = httpx2.post(
            f"http://127.0.0.1:{port}/api/v1/auth/token",
            json={"username": "root@example.com", "password": "a long admin passphrase"},
        )
        assert token.status_code == 200

        second = subprocess.run([*PRELOOP, "start"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "already running" in second.stdout
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    output = log_path.read_text()
    for label in ["web      |", "worker   |", "scheduler|"]:
        assert label in output
    assert "stopping embedded PostgreSQL" in output and "stopping embedded Redis" in output
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    assert not (data_dir / "redis" / "redis.sock").exists()
    leftovers = subprocess.run(["pgrep", "-f", str(data_dir)], capture_output=True, text=True).stdout.strip()
    assert leftovers == ""

    again = run_preloop("migrate", base_env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "created the first admin" not in again.stdout  # the data survived the restart


def test_roles_start_without_manage_py_so_an_installed_wheel_works():
    from preloop.launcher import ROLES, role_command

    for role in ROLES:
        assert not any("manage.py" in part for part in role_command(role)), role
