# syntax=docker/dockerfile:1
# Preloop container image: one image, four roles (the command picks one):
#   web (daphne: HTTP, WebSocket, MCP on $PRELOOP_PORT), worker (Dramatiq), scheduler (periodic jobs),
#   migrate (checks pgvector, applies migrations, creates the first admin).
# Containers always get DATABASE_URL and REDIS_URL (PostgreSQL with pgvector, Redis): the embedded
# servers the `preloop` command can start on a laptop are not meant for containers.
#
#   docker build -t preloop:latest .
#   docker run --rm -e SECRET_KEY=... -e DATABASE_URL=... -e REDIS_URL=... preloop:latest migrate
#   docker run -d -p 8000:8000 -e SECRET_KEY=... -e DATABASE_URL=... -e REDIS_URL=... preloop:latest

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: install the project (non-editable) into a virtualenv -------------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/preloop/bin:$PATH

RUN python -m venv /opt/preloop

WORKDIR /src

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes.
# A placeholder package stands in for the sources, and is uninstalled again.
COPY pyproject.toml README.md ./
RUN mkdir -p preloop apps \
    && touch preloop/__init__.py apps/__init__.py \
    && pip install --no-cache-dir . \
    && pip uninstall --yes preloop \
    && rm -rf preloop apps build ./*.egg-info

# Then the project itself.
COPY . .
RUN pip install --no-cache-dir --no-deps . \
    && rm -rf build ./*.egg-info

# --- runtime ---------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}

LABEL org.opencontainers.image.title="Preloop" \
      org.opencontainers.image.description="The MCP governance layer: issue-tracker tools, proxied MCP servers, human approvals." \
      org.opencontainers.image.licenses="Apache-2.0"

ENV PATH=/opt/preloop/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ENVIRONMENT=production \
    PRELOOP_BIND_ADDRESS=0.0.0.0 \
    PRELOOP_PORT=8000 \
    PRELOOP_DATA_DIR=/var/lib/preloop

# A fixed numeric uid/gid, so Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 preloop \
    && useradd --system --uid 10001 --gid preloop --home-dir /var/lib/preloop --create-home \
       --shell /usr/sbin/nologin preloop

COPY --from=build /opt/preloop /opt/preloop

USER 10001:10001
WORKDIR /var/lib/preloop

EXPOSE 8000

# Only the web role serves HTTP: any other role (worker, scheduler, migrate) reports healthy while it
# runs. The Host header is that of PRELOOP_URL, because in production Django answers only the host
# names in ALLOWED_HOSTS (by default the host of PRELOOP_URL), not 127.0.0.1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.parse as p, urllib.request as r; b'daphne' in open('/proc/1/cmdline', 'rb').read() or sys.exit(0); host = p.urlsplit(os.environ.get('PRELOOP_URL') or 'http://localhost').netloc; r.urlopen(r.Request('http://127.0.0.1:%s/healthz' % os.environ.get('PRELOOP_PORT', '8000'), headers={'Host': host}), timeout=4)"]

ENTRYPOINT ["preloop"]
CMD ["web"]
