"""ASGI entry point: HTTP through Django, websockets through channels.

Websockets pass the origin check (ALLOWED_HOSTS) and the session authentication before any
consumer runs. With ``CADREFLOW_INPROCESS_WORKER=1`` (set by ``make run``) a procrastinate
worker runs inside this process too, so the single-process demo needs neither Redis nor a
second command; production runs workers as separate processes (docs/operations.md).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from notifications.routing import websocket_urlpatterns  # noqa: E402

from .lifespan import WithLifespan  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

if os.environ.get("CADREFLOW_INPROCESS_WORKER") == "1":
    application = WithLifespan(application)
