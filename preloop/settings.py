"""Django settings. Every value is read once here from the environment (or `.env`); see `.env.example`."""

import secrets
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from preloop.embedded import EmbeddedRedis
from preloop.paths import BASE_DIR, DATA_DIR, data_path

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

ENVIRONMENT = env.str("ENVIRONMENT", default="development")
if ENVIRONMENT not in {"development", "production", "test"}:
    raise ImproperlyConfigured(f"ENVIRONMENT must be development, production or test, not {ENVIRONMENT!r}")
IS_PRODUCTION = ENVIRONMENT == "production"
DEBUG = env.bool("DEBUG", default=False)


def _development_secret_key() -> str:
    """Generated once per data folder so sessions and tokens survive restarts."""
    path = data_path("secret_key")
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if IS_PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when ENVIRONMENT=production. "
            'Generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    SECRET_KEY = _development_secret_key()
# Key for secrets at rest (tracker tokens, upstream credentials); derived from SECRET_KEY when unset.
PRELOOP_ENCRYPTION_KEY = env.str("PRELOOP_ENCRYPTION_KEY", default="")

PRELOOP_URL = env.str("PRELOOP_URL", default="").rstrip("/")
PRELOOP_PORT = env.int("PRELOOP_PORT", default=8000)
if not PRELOOP_URL:
    PRELOOP_URL = f"http://localhost:{PRELOOP_PORT}"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"] if not IS_PRODUCTION else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PRELOOP_URL])
if IS_PRODUCTION:
    from urllib.parse import urlsplit

    ALLOWED_HOSTS = ALLOWED_HOSTS or [urlsplit(PRELOOP_URL).hostname]
    SESSION_COOKIE_SECURE = PRELOOP_URL.startswith("https://")
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REGISTRATION_ENABLED = env.bool("REGISTRATION_ENABLED", default=True)
INVITATION_MAX_AGE_SECONDS = env.int("INVITATION_MAX_AGE_SECONDS", default=7 * 24 * 3600)
LOGIN_FAILURES_ALLOWED = env.int("LOGIN_FAILURES_ALLOWED", default=5)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=900)

PUSH_PROXY_URL = env.str("PUSH_PROXY_URL", default="")
PUSH_PROXY_API_KEY = env.str("PUSH_PROXY_API_KEY", default="")
# Seconds a device-registration QR code (its single-use token) stays valid.
DEVICE_REGISTRATION_TOKEN_SECONDS = env.int("DEVICE_REGISTRATION_TOKEN_SECONDS", default=600)
# Notifications over HTTP (push proxy, Slack, Mattermost, signed webhook): tries per delivery for transient
# failures (timeouts, 429, 5xx; never 4xx), the first backoff (doubled each time) and the timeout of one try.
NOTIFICATION_HTTP_ATTEMPTS = env.int("NOTIFICATION_HTTP_ATTEMPTS", default=4)
NOTIFICATION_HTTP_BACKOFF_SECONDS = env.float("NOTIFICATION_HTTP_BACKOFF_SECONDS", default=2.0)
NOTIFICATION_HTTP_TIMEOUT_SECONDS = env.float("NOTIFICATION_HTTP_TIMEOUT_SECONDS", default=10.0)
PRELOOP_DISABLE_TELEMETRY = env.bool("PRELOOP_DISABLE_TELEMETRY", default=False)
DISABLE_VERSION_CHECK = env.bool("DISABLE_VERSION_CHECK", default=False)
VERSION_CHECK_URL = env.str("VERSION_CHECK_URL", default="https://preloop.ai/api/v1/version/check")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "channels",
    "django_dramatiq",
    "apps.system",
    "apps.accounts",
    "apps.trackers",
    "apps.issues",
    "apps.notifications",
    "apps.console",
    "apps.mcp_proxy",
    "apps.approvals",
]

MIDDLEWARE = [
    "apps.system.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "preloop.urls"
ASGI_APPLICATION = "preloop.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.console.context_processors.console",
                "apps.console.context_processors.approvals",
            ],
        },
    },
]

# The embedded PostgreSQL listens on a Unix socket in the data folder (see preloop/embedded.py).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"postgresql://postgres@/preloop?host={DATA_DIR / 'postgres'}")
}
# A connection pool per process (psycopg_pool): the MCP call path runs its few queries in threads, and
# opening a PostgreSQL connection for each cost more than the whole proxied call (measured: ~40 ms of a
# 45 ms call). Django's persistent connections (CONN_MAX_AGE) are not meant for ASGI; a pool is.
DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=10)
DATABASES["default"].setdefault("CONN_MAX_AGE", 0)
# No health check per checkout (a `SELECT 1` before every request's first query): the pool replaces
# connections that broke when they are returned to it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
# Server-side parameter binding: psycopg then sends values as they are instead of quoting each one into
# the SQL text in Python, which made bulk upserts of synced issues several times slower (measured).
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "server_side_binding", env.bool("DATABASE_SERVER_SIDE_BINDING", default=True)
)
if DATABASE_POOL_MAX_SIZE > 0:
    DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 1, "max_size": DATABASE_POOL_MAX_SIZE, "timeout": 30}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default=EmbeddedRedis(DATA_DIR / "redis").url)
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # channels_redis blocks 5 s per BZPOPMIN, exactly redis-py 8's default socket timeout: reads then time
        # out now and then, and a receive fails (seen on MCP forwarding). A longer socket timeout avoids the race.
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
            "prefix": env.str("CHANNEL_LAYER_PREFIX", default="preloop"),
        },
    }
}
DRAMATIQ_BROKER = {
    "BROKER": "dramatiq.brokers.redis.RedisBroker",
    "OPTIONS": {"url": REDIS_URL, "namespace": env.str("DRAMATIQ_NAMESPACE", default="preloop-tasks")},
    "MIDDLEWARE": [
        "dramatiq.middleware.AgeLimit",
        "dramatiq.middleware.TimeLimit",
        "dramatiq.middleware.Callbacks",
        "dramatiq.middleware.Retries",
        "django_dramatiq.middleware.DbConnectionsMiddleware",
    ],
}
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if ENVIRONMENT == "test":
    # Deliberately slow hashing protects stored passwords; the test suite has none worth protecting.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "staticfiles")))
with suppress(OSError):  # WhiteNoise serves from finders instead of collectstatic; it only needs the folder
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL_CONFIG.get("EMAIL_HOST", "")
EMAIL_PORT = EMAIL_CONFIG.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = EMAIL_CONFIG.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = EMAIL_CONFIG.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL_CONFIG.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Preloop <preloop@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.accounts.permissions.HasApiScope"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "preloop.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "preloop.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "SIGNING_KEY": SECRET_KEY,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "UPDATE_LAST_LOGIN": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Preloop API",
    "DESCRIPTION": "The MCP governance layer: trackers, issues, tools, approvals and flows.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Two fields named `transport` (a tool call's, an MCP server's) need distinct enum names; a rule's `action` and a
    # tool call's `decision` share one enum.
    "ENUM_NAME_OVERRIDES": {
        "ToolCallTransportEnum": "apps.mcp_proxy.models.ToolCallTransport",
        "McpTransportEnum": "apps.mcp_proxy.models.McpTransport",
        "ToolRuleActionEnum": "apps.mcp_proxy.models.ToolRuleAction",
        "NotificationChannelEnum": "apps.approvals.models.NotificationChannel",
        "ApprovalStatusEnum": "apps.approvals.models.ApprovalStatus",
        "DeliveryChannelEnum": "apps.notifications.models.Channel",
    },
}

WEBSOCKET_HEARTBEAT_SECONDS = env.float("WEBSOCKET_HEARTBEAT_SECONDS", default=25.0)
WEBSOCKET_HEARTBEAT_MISSES_ALLOWED = env.int("WEBSOCKET_HEARTBEAT_MISSES_ALLOWED", default=2)

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "daphne": {"level": "WARNING" if LOG_LEVEL != "DEBUG" else "DEBUG"},
        "apscheduler": {"level": "WARNING"},
    },
}

# Seconds between incremental syncs of every tracker (webhooks keep issues current in between).
SYNC_INTERVAL_SECONDS = env.int("SYNC_INTERVAL_SECONDS", default=300)

# User-supplied URLs (trackers, later MCP servers) may point at loopback/private addresses only when on.
ALLOW_PRIVATE_OUTBOUND_URLS = env.bool("ALLOW_PRIVATE_OUTBOUND_URLS", default=not IS_PRODUCTION)

# External MCP servers over stdio run a program on this server: only when an administrator allows it.
MCP_ALLOW_STDIO_SERVERS = env.bool("MCP_ALLOW_STDIO_SERVERS", default=False)

# Seconds between scheduled re-scans of every external MCP server (servers announcing list_changed are
# re-scanned when they say so, too).
MCP_SERVER_RESCAN_SECONDS = env.int("MCP_SERVER_RESCAN_SECONDS", default=3600)

# Development may point trackers at http:// test servers; production insists on https.
ALLOW_INSECURE_TRACKER_URLS = env.bool("ALLOW_INSECURE_TRACKER_URLS", default=not IS_PRODUCTION)

# Embeddings for semantic search and duplicate detection: "local" (all-MiniLM-L6-v2 on ONNX Runtime, offline,
# from pip-installed packages) or "openai" (any OpenAI-compatible /embeddings API).
EMBEDDING_PROVIDER = env.str("EMBEDDING_PROVIDER", default="local")
EMBEDDING_API_BASE_URL = env.str("EMBEDDING_API_BASE_URL", default="https://api.openai.com/v1")
EMBEDDING_API_KEY = env.str("EMBEDDING_API_KEY", default="")
EMBEDDING_MODEL = env.str("EMBEDDING_MODEL", default="text-embedding-3-small")
EMBEDDING_DIMENSIONS = env.int("EMBEDDING_DIMENSIONS", default=1536)
# Local model: compute threads per process, tokens kept per text, texts per batch.
EMBEDDING_THREADS = env.int("EMBEDDING_THREADS", default=1)
EMBEDDING_MAX_TOKENS = env.int("EMBEDDING_MAX_TOKENS", default=256)
EMBEDDING_BATCH_SIZE = env.int("EMBEDDING_BATCH_SIZE", default=32)
# An LLM for compliance scoring and improvement suggestions (none: deterministic rules and templates).
LLM_PROVIDER = env.str("LLM_PROVIDER", default="none").strip().lower()
if LLM_PROVIDER not in {"none", "openai", "anthropic"}:
    raise ImproperlyConfigured(f"LLM_PROVIDER must be none, openai or anthropic, not {LLM_PROVIDER!r}")
LLM_BASE_URL = env.str("LLM_BASE_URL", default="")
LLM_API_KEY = env.str("LLM_API_KEY", default="")
LLM_MODEL = env.str("LLM_MODEL", default="")
if LLM_PROVIDER != "none" and not LLM_MODEL:
    raise ImproperlyConfigured("LLM_MODEL is required when LLM_PROVIDER is set, e.g. LLM_MODEL=gpt-4o-mini")
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=60.0)
# MCP endpoint (/mcp/v1). Browser Origins allowed besides this server's own loopback or ALLOWED_HOSTS name.
MCP_ALLOWED_ORIGINS = env.list("MCP_ALLOWED_ORIGINS", default=CSRF_TRUSTED_ORIGINS)
# Seconds an MCP session may stay unused before it ends (the client then initializes again).
MCP_SESSION_IDLE_SECONDS = env.int("MCP_SESSION_IDLE_SECONDS", default=1800)
# Seconds to wait for the process owning an MCP session to take a forwarded request; silent means gone (404).
MCP_FORWARD_TIMEOUT_SECONDS = env.float("MCP_FORWARD_TIMEOUT_SECONDS", default=5.0)
# Days tool-call audit rows are kept; older ones are deleted hourly by `tool_calls_purge`. 0 keeps them forever.
TOOL_CALL_RETENTION_DAYS = env.int("TOOL_CALL_RETENTION_DAYS", default=90)
if TOOL_CALL_RETENTION_DAYS < 0:
    raise ImproperlyConfigured("TOOL_CALL_RETENTION_DAYS must be 0 (keep forever) or a number of days")
# The longest timeout an approval policy may set (seconds); a request never waits longer for a human.
APPROVAL_TIMEOUT_MAX_SECONDS = env.int("APPROVAL_TIMEOUT_MAX_SECONDS", default=24 * 3600)
if APPROVAL_TIMEOUT_MAX_SECONDS < 10:
    raise ImproperlyConfigured("APPROVAL_TIMEOUT_MAX_SECONDS must be at least 10")
# How often the scheduler expires approval requests past their timeout and escalates overdue ones (seconds).
APPROVAL_SWEEP_INTERVAL_SECONDS = env.int("APPROVAL_SWEEP_INTERVAL_SECONDS", default=15)
if APPROVAL_SWEEP_INTERVAL_SECONDS < 1:
    raise ImproperlyConfigured("APPROVAL_SWEEP_INTERVAL_SECONDS must be at least 1")
