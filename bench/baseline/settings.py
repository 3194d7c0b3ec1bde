"""Settings of the bare-Django baseline: only what session login, CSRF and one write need.

DEBUG off; the database from ``DATABASE_URL`` with the same psycopg pool as Cadreflow
(``CONN_MAX_AGE`` 0, ``DB_POOL_MIN``/``DB_POOL_MAX``), the default password hasher and database
sessions, as Cadreflow has them.
"""

import os

import dj_database_url

DEBUG = False
SECRET_KEY = "baseline-bench-only-not-secret-" + "x" * 40
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "bench.baseline",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "bench.baseline.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            "context_processors": ["django.template.context_processors.csrf"],
            "loaders": [
                (
                    "django.template.loaders.locmem.Loader",
                    {
                        "login.html": (
                            '<form method="post" action="">{% csrf_token %}{{ form }}'
                            '<button type="submit">Log in</button></form>'
                        ),
                        "write.html": (
                            '<form method="post" action="/write/">{% csrf_token %}'
                            '<input type="text" name="note" value="">'
                            '<button type="submit">Write</button></form><p>{{ count }}</p>'
                        ),
                    },
                )
            ],
        },
    }
]
_db = dj_database_url.parse(
    os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cadreflow_load_baseline"),
    conn_max_age=0,
)
_db["CONN_MAX_AGE"] = 0
_db.setdefault("OPTIONS", {})["pool"] = {
    "min_size": int(os.environ.get("DB_POOL_MIN", "1")),
    "max_size": int(os.environ.get("DB_POOL_MAX", "10")),
    "timeout": 10,
}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/write/"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
