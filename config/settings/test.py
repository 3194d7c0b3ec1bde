"""The test suite: real PostgreSQL (DATABASE_URL, set by `config.launch test` when unset)."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import database_config, env

DEBUG = False
SECRET_KEY = "test-only-not-secret-" + "y" * 40
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
CADREFLOW_DEMO_MODE = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING["root"]["level"] = env("LOG_LEVEL", "WARNING")  # noqa: F405

if not env("DATABASE_URL"):
    # `pytest` run directly, without `make test`: use the embedded server too.
    from config import embedded_db

    embedded_db.ensure_database("cadreflow")
    DATABASES = {"default": database_config(embedded_db.database_url("cadreflow"))}

# Serve static files from the app directories without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A minimal flow for testing workflows.core (tests/workflows/probe); never in production.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.workflows.probe"]  # noqa: F405

# Uploads go to a throwaway directory per run.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="cadreflow-media-"))
