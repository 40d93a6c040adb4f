#!/usr/bin/env bash
# Preloop in one command.
#   ./start.sh            start everything (embedded PostgreSQL + pgvector and Redis unless DATABASE_URL / REDIS_URL are set)
#   ./start.sh test [ARGS] run the test suite (ARGS go to pytest)
#   ./start.sh manage ARGS run a Django management command, e.g. ./start.sh manage invite_user ana@example.com
#   ./start.sh lint       ruff check and format check
#   ./start.sh web|worker|scheduler|migrate   one role at a time
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
  echo "Preloop needs Python 3.11 (found: $("$PYTHON" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi

# Create the virtual environment and (re)install when pyproject.toml changed since the last install.
if [ ! -x .venv/bin/python ]; then
  echo "preloop  | creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.preloop-installed
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "preloop  | installing Preloop and its dependencies into .venv (first run takes a minute)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
  echo "$wanted" > "$stamp"
fi

case "${1:-start}" in
  lint)
    .venv/bin/ruff check . && .venv/bin/ruff format --check . ;;
  *)
    exec .venv/bin/python -m preloop.launcher "$@" ;;
esac
