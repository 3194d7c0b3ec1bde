"""gunicorn for Cadreflow's HTTP (WSGI, ``config.wsgi``): sync workers, one request at a time
each (docs/decisions/0008-serving.md). Websockets (``/ws/``) go to uvicorn on ``config.asgi``;
the reverse proxy routes the two.

    gunicorn config.wsgi:application --config config/gunicorn.conf.py

Every value can be overridden from the environment (below) or the command line.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# One sync worker per core: a worker serves one request at a time and holds at most one
# database connection, so requests beyond the workers wait in the listen queue instead of
# piling up in threads (uvicorn at 50 users: the pool ran dry, 500s, twice the memory).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
backlog = int(os.environ.get("GUNICORN_BACKLOG", "2048"))
# A request running longer than this is killed and its worker restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle a worker now and then, so that a slow leak never reaches the memory target.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
# Not preloaded: each worker opens its own psycopg pool after the fork.
preload_app = False
# The proxy on the same host sets X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
