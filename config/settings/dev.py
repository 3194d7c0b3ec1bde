"""Local development and the demo (`make run`)."""

from .base import *  # noqa: F403
from .base import database_config, env, env_list

DEBUG = env("DEBUG", "1") == "1"
SECRET_KEY = env("SECRET_KEY") or "dev-only-not-secret-" + "x" * 40
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CADREFLOW_DEMO_MODE = True
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

if not env("DATABASE_URL"):
    from config import embedded_db

    embedded_db.ensure_database("cadreflow")
    DATABASES = {"default": database_config(embedded_db.database_url("cadreflow"))}  # noqa: F405
