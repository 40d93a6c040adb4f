"""`preloop` command: one entry point for running, testing and operating Preloop.

preloop start           embedded services (when DATABASE_URL / REDIS_URL are unset), migrations,
                        first admin, then web (daphne), worker (Dramatiq) and scheduler together
preloop test [ARGS]     the same bootstrap on throw-away embedded services, then pytest ARGS
preloop web | worker | scheduler | migrate
                        one role at a time, for containers and process managers
preloop manage ARGS     a Django management command (embedded services are started if needed)
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import threading
from contextlib import ExitStack, contextmanager
from pathlib import Path

from preloop.paths import BASE_DIR, DATA_DIR

ROLES = ("web", "worker", "scheduler")
COLOURS = {"web": "36", "worker": "35", "scheduler": "33", "preloop": "32"}


def say(message: str, label: str = "preloop") -> None:
    colour = COLOURS.get(label, "37") if sys.stdout.isatty() else None
    prefix = f"{label:<9}|"
    if colour:
        prefix = f"\033[{colour}m{prefix}\033[0m"
    sys.stdout.write(f"{prefix} {message}\n")
    sys.stdout.flush()


@contextmanager
def embedded_services(data_dir: Path, *, persistent: bool = True, owner: bool = False):
    """Start embedded PostgreSQL and Redis for whichever of DATABASE_URL / REDIS_URL is unset.

    They are stopped on exit if started here, or always when `owner` (the process holding the
    single-instance lock adopts servers left running by a launcher that was killed).
    """
    from preloop.embedded import EmbeddedPostgres, EmbeddedRedis

    with ExitStack() as stack:
        if not os.environ.get("DATABASE_URL"):
            postgres = EmbeddedPostgres(data_dir / "postgres")
            os.environ["DATABASE_URL"] = postgres.start()
            if owner or not postgres.adopted:
                stack.callback(_stopping, "embedded PostgreSQL", postgres.stop)
            say(f"embedded PostgreSQL with pgvector ready (data in {data_dir / 'postgres'})")
        if not os.environ.get("REDIS_URL"):
            redis = EmbeddedRedis(data_dir / "redis", persistent=persistent)
            os.environ["REDIS_URL"] = redis.start()
            if owner or not redis.adopted:
                stack.callback(_stopping, "embedded Redis", redis.stop)
            say(f"embedded Redis ready (data in {data_dir / 'redis'})")
        yield


def _stopping(name: str, stop) -> None:
    say(f"stopping {name}")
    stop()


@contextmanager
def single_instance():
    """Refuse to run twice on one data folder: both would fight over ports and embedded servers."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    lock_path = DATA_DIR / "preloop.lock"
    handle = open(lock_path, "a+")  # noqa: SIM115 - held for the life of the process
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip() or "unknown"
        say(f"Preloop is already running from this folder (pid {pid}); stop it first (Ctrl-C in its terminal).")
        sys.exit(1)
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def django_setup() -> None:
    """Load settings and apps; a configuration mistake ends the command with its message, not a traceback."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preloop.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as problem:
        say(f"configuration error: {problem}")
        sys.exit(2)


def bootstrap(*, quiet: bool = False) -> None:
    """Check the database, apply migrations and create the first admin account."""
    django_setup()
    from django.core.management import call_command

    from apps.accounts.services import first_admin_ensure
    from apps.system.database import DatabaseNotReady, database_check

    try:
        database_check()
    except DatabaseNotReady as problem:
        say(str(problem))
        sys.exit(2)
    call_command("migrate", interactive=False, verbosity=0 if quiet else 1)
    created = first_admin_ensure(
        email=os.environ.get("PRELOOP_ADMIN_EMAIL", ""), password=os.environ.get("PRELOOP_ADMIN_PASSWORD", "")
    )
    if created:  # shown even when quiet: a generated password is never shown again
        say(f"created the first admin account: {created.email}")
        if created.generated_password:
            say(f"its generated password (shown once): {created.generated_password}")


def role_command(role: str) -> list[str]:
    python = sys.executable
    if role == "web":
        bind = os.environ.get("PRELOOP_BIND_ADDRESS", "127.0.0.1")
        port = os.environ.get("PRELOOP_PORT", "8000")
        return [python, "-m", "daphne", "-b", bind, "-p", port, "--proxy-headers", "preloop.asgi:application"]
    if role == "worker":
        processes = os.environ.get("PRELOOP_WORKER_PROCESSES", "1")
        threads = os.environ.get("PRELOOP_WORKER_THREADS", "4")
        return [python, "-m", "django", "rundramatiq", "--processes", processes, "--threads", threads]
    if role == "scheduler":
        return [python, "-m", "django", "run_scheduler"]
    raise ValueError(role)


def run_all() -> int:
    """Run web, worker and scheduler as children with labelled, interleaved output."""
    children: dict[str, subprocess.Popen] = {}
    stopping = threading.Event()

    def relay(role: str, stream) -> None:
        for line in iter(stream.readline, ""):
            say(line.rstrip("\n"), role)

    def stop(*_args) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for role in ROLES:
        process = subprocess.Popen(
            role_command(role),
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # Ctrl-C reaches us only; we stop the children in order
        )
        children[role] = process
        threading.Thread(target=relay, args=(role, process.stdout), daemon=True).start()
    port = os.environ.get("PRELOOP_PORT", "8000")
    say(f"Preloop is starting on http://localhost:{port}/  (API docs at /docs; Ctrl-C stops everything)")
    exit_code = 0
    while not stopping.wait(0.5):
        ended = {role: p.returncode for role, p in children.items() if p.poll() is not None}
        if ended:
            say(f"{', '.join(ended)} stopped unexpectedly (exit {ended}); stopping the rest")
            exit_code = 1
            break
    say("stopping web, worker and scheduler")
    for process in children.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for role, process in children.items():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            say(f"{role} did not stop in time; killing it")
            process.kill()
    return exit_code


def run_tests(pytest_args: list[str]) -> int:
    # Each run gets its own throw-away servers, so runs side by side never stop each other's.
    test_dir = DATA_DIR / "test" / f"run-{os.getpid()}"
    with ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, test_dir, ignore_errors=True)
        return _run_tests_in(test_dir, pytest_args)


def _run_tests_in(test_dir: Path, pytest_args: list[str]) -> int:
    test_dir.mkdir(parents=True, exist_ok=True)
    with embedded_services(test_dir, persistent=False, owner=True):
        django_setup()
        from apps.system.database import DatabaseNotReady, database_check

        try:
            database_check()
        except DatabaseNotReady as problem:
            say(str(problem))
            return 2
        # No connection pool in the test process: tests use the database from threads of their own that no
        # request cycle closes, and a pool would run dry; the servers the tests start (daphne) use one.
        env = {"DATABASE_POOL_MAX_SIZE": "0", **os.environ, "ENVIRONMENT": "test"}
        return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], cwd=BASE_DIR, env=env)


def run_benchmark(args: list[str]) -> int:
    """`preloop bench NAME [ARGS]`: benchmarks/NAME.py on throw-away embedded services, migrated."""
    if not args:
        names = sorted(path.stem for path in (BASE_DIR / "benchmarks").glob("*.py"))
        print(f"usage: ./start.sh bench NAME [ARGS]   (NAME: {', '.join(names)})", file=sys.stderr)
        return 2
    script = BASE_DIR / "benchmarks" / f"{args[0]}.py"
    if not script.exists():
        print(f"no benchmark {args[0]!r} in {script.parent}", file=sys.stderr)
        return 2
    bench_dir = DATA_DIR / "bench" / f"run-{os.getpid()}"
    with ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, bench_dir, ignore_errors=True)
        bench_dir.mkdir(parents=True, exist_ok=True)
        with embedded_services(bench_dir, persistent=False, owner=True):
            bootstrap(quiet=True)
            env = {**os.environ, "DISABLE_VERSION_CHECK": "true", "LOG_LEVEL": "WARNING"}
            return subprocess.call([sys.executable, str(script), *args[1:]], cwd=BASE_DIR, env=env)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args.pop(0) if args else "start"
    os.chdir(BASE_DIR)
    if command in {"-h", "--help", "help"}:
        print(__doc__)
        return
    if command == "start":
        with single_instance(), embedded_services(DATA_DIR, owner=True):
            bootstrap()
            code = run_all()
        sys.exit(code)
    if command == "test":
        sys.exit(run_tests(args))
    if command == "migrate":
        with embedded_services(DATA_DIR):
            bootstrap()
        return
    if command in ROLES:
        django_setup()  # fail here, with a clear message, rather than inside daphne or Dramatiq
        os.execv(sys.executable, role_command(command))
    if command == "bench":
        sys.exit(run_benchmark(args))
    if command == "manage":
        with embedded_services(DATA_DIR):
            django_setup()
            from django.core.management import execute_from_command_line

            execute_from_command_line(["manage.py", *args])
        return
    print(f"unknown command {command!r}\n{__doc__}", file=sys.stderr)
    sys.exit(2)


def sync_main() -> None:
    """`preloop-sync scan all`: the sync command, with embedded services and migrations as `start` has them."""
    os.chdir(BASE_DIR)
    with embedded_services(DATA_DIR):
        bootstrap(quiet=True)
        from django.core.management import execute_from_command_line

        execute_from_command_line(["preloop-sync", "sync", *sys.argv[1:]])


if __name__ == "__main__":
    main()
