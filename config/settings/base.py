"""Settings shared by every environment. Environment-specific values live in dev/test/production."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS: list[str] = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS: list[str] = env_list("CSRF_TRUSTED_ORIGINS")

# Demo users and `seed_demo` are refused unless this is on (dev/test only).
CADREFLOW_DEMO_MODE = False

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "channels",
    "guardian",
    "django_filters",
    "treebeard",
    "pgtrigger",
    "viewflow",
    "viewflow.workflow",
    "procrastinate.contrib.django",
    "config",
    "personnel",
    "personnel.audit",
    "workflows.core",
    "workflows.appointment",
    "workflows.evaluation",
    "workflows.planning",
    "workflows.rotation",
    "workflows.training",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.db_router.ReplicaReadMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "personnel.scope_cache.ScopeCacheMiddleware",
    "personnel.audit.context.AuditContextMiddleware",
    "config.middleware.SessionIdleTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "viewflow.middleware.SiteMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
    "config.middleware.LockContentionMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.cadreflow",
                "notifications.context_processors.notifications",
            ],
        },
    },
]


# --- Database: PostgreSQL only. `config.launch` starts an embedded server and sets DATABASE_URL.
def database_config(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=0)
    # Under ASGI persistent connections exhaust PostgreSQL: CONN_MAX_AGE=0 with psycopg's pool.
    config["CONN_MAX_AGE"] = 0
    config.setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(env("DB_POOL_MIN", "1")),
        "max_size": int(env("DB_POOL_MAX", "10")),
        "timeout": 10,
    }
    return config


DATABASES = {
    "default": database_config(env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cadreflow"))
}
# A streaming replica for the audit explorer's reads (docs/scaling.md; config/db_router.py).
if env("DATABASE_REPLICA_URL", ""):
    DATABASES["replica"] = database_config(env("DATABASE_REPLICA_URL"))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
REPLICA_READ_PATHS = ("/audit/",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "personnel.User"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Objects outside a user's scope must look nonexistent.
GUARDIAN_RAISE_404 = True
ANONYMOUS_USER_NAME = None  # no guardian anonymous user: anonymous gets nothing

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Sessions: at most 12 h, and 30 minutes idle (ASVS L2 3.3.2).
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_IDLE_TIMEOUT = int(env("SESSION_IDLE_TIMEOUT", str(30 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

# --- Internationalisation
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# Our catalogue first; viewflow ships no Vietnamese, so its strings have a catalogue of their own.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "viewflow"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".data" / "static"
# Uploaded dossier documents: on disk (or a mounted volume), never in the database, never served
# as static files — only through the scoped download view.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / ".data" / "media")))
MEDIA_URL = "/media/"  # not routed: downloads go through the appointment's own view
DOSSIER_MAX_BYTES = int(env("DOSSIER_MAX_BYTES", str(20 * 1024 * 1024)))
DOSSIER_CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o640
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Channels: Redis when REDIS_URL is set, in-memory otherwise (single process only).
REDIS_URL = env("REDIS_URL")
# Pub/sub (one PUBLISH per group send, one subscriber connection per process) by default;
# "core" is channels_redis's list-based layer. bench/websockets.py measured both
# (docs/decisions/0006-realtime.md). Messages are only hints: clients re-read the database.
REDIS_CHANNEL_LAYER = env("REDIS_CHANNEL_LAYER", "pubsub")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer"
            if REDIS_CHANNEL_LAYER == "pubsub"
            else "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # redis-py 8 refuses (rather than waits) past 100 connections.
                        "max_connections": int(env("REDIS_MAX_CONNECTIONS", "1000")),
                    }
                ],
                "prefix": env("CHANNELS_PREFIX", "cadreflow"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env("EMAIL_USE_TLS", "0") == "1"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "cadreflow@localhost")
# Absolute links in e-mails ("https://cadreflow.example.gov.vn"); requests know their own host.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Jobs: procrastinate on the same PostgreSQL (docs/decisions/0005-job-engine.md).
# Tasks live in each app's tasks.py; `manage.py procrastinate worker` runs them, on any host.
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "tasks"
PROCRASTINATE_WORKER_DEFAULTS = {"concurrency": int(env("WORKER_CONCURRENCY", "4"))}
# Reminders go out this many working days before a deadline, and once when it has passed.
DEADLINE_REMINDER_DAYS = tuple(
    int(d) for d in env("DEADLINE_REMINDER_DAYS", "5,1").split(",") if d.strip()
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # procrastinate logs every job at INFO, with its arguments: keep that out of the logs.
        "procrastinate": {"level": env("PROCRASTINATE_LOG_LEVEL", "WARNING")},
    },
}
