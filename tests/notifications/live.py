"""Websocket test kit: the production ASGI stack, a real session cookie, and the channel layers.

Consumer tests run against the in-memory layer and, when ``REDIS_URL`` is set (CI sets it), also
through ``channels_redis`` with a prefix unique to this test run and test, so parallel runs on one
Redis never see each other's groups. ``tests/notifications/conftest.py`` provides the fixtures
and the parametrization; other packages bind them at module level (``sockets = live.sockets``,
``pytest_generate_tests = live.parametrize_layers``).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import pytest_asyncio
from asgiref.testing import ApplicationCommunicator
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

# The production stack. Imported here, not in a test: get_asgi_application() runs
# django.setup(), which reconfigures logging and would unhook pytest's caplog mid-test.
from config.asgi import application

REDIS_URL = os.environ.get("REDIS_URL", "")
RUN_PREFIX = f"cadreflow-test-{uuid.uuid4().hex[:12]}"
ORIGIN = b"http://testserver"
#: how long to wait for something that must arrive (Redis and a subprocess are slower)
ARRIVES = 10
#: how long to listen for something that must not arrive
SILENCE = 0.5

_layer_numbers = itertools.count()

_needs_redis = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set (CI sets it)")
BACKENDS = {
    "memory": "channels.layers.InMemoryChannelLayer",
    # The production default (config/settings/base.py, REDIS_CHANNEL_LAYER=pubsub)...
    "redis-pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    # ...and channels_redis's list-based layer (REDIS_CHANNEL_LAYER=core).
    "redis-core": "channels_redis.core.RedisChannelLayer",
}


def on_every_layer(test):
    """Run ``test`` on the list-based Redis layer too, not only in memory and on pub/sub.

    Kept for the delivery tests: every socket of that layer takes ~5 s to close (a consumer
    that ends waits out its pending, shielded BRPOP), minutes over the whole module.
    """
    test.on_every_layer = True
    return test


def across_processes(test):
    """Run ``test`` on the Redis layers only (in memory, nothing crosses a process)."""
    test.across_processes = True
    return on_every_layer(test)


def parametrize_layers(metafunc) -> None:
    """``pytest_generate_tests`` for modules whose tests use ``channel_layer``."""
    if "channel_layer" not in metafunc.fixturenames:
        return
    function = metafunc.function
    layers = [] if getattr(function, "across_processes", False) else ["memory"]
    layers.append(pytest.param("redis-pubsub", marks=_needs_redis))
    if getattr(function, "on_every_layer", False):
        layers.append(pytest.param("redis-core", marks=_needs_redis))
    metafunc.parametrize("channel_layer", layers, indirect=True)


def layer_config(kind: str) -> dict:
    if kind == "memory":
        return {"BACKEND": BACKENDS[kind]}
    return {
        "BACKEND": BACKENDS[kind],
        "CONFIG": {
            "hosts": [{"address": REDIS_URL}],
            # Unique per test run and per test: parallel runs on one Redis never meet.
            "prefix": f"{RUN_PREFIX}-{next(_layer_numbers)}",
        },
    }


@pytest.fixture
def channel_layer(request, settings):
    """The default channel layer for this test: in-memory, then Redis (when configured); see
    ``parametrize_layers``."""
    kind = getattr(request, "param", "memory")
    settings.CHANNEL_LAYERS = {"default": layer_config(kind)}
    channel_layers.backends = {}
    layer = get_channel_layer()
    assert layer.__class__.__name__ == BACKENDS[kind].rsplit(".", 1)[1]
    layer.kind = kind
    yield layer
    channel_layers.backends = {}


class Communicator(WebsocketCommunicator):
    """channels' communicator without its test-only patch of ``close_old_connections``.

    channels' version turns ``close_old_connections`` into a no-op while it sends or receives
    (so ``TestCase``'s single connection survives). With real transactions that patch makes every
    ``database_sync_to_async`` call of a consumer keep its pooled connection until the pool runs
    dry; here consumers return their connections exactly as they do in production.
    """

    async def send_input(self, message):
        return await ApplicationCommunicator.send_input(self, message)

    async def receive_output(self, timeout=1):
        return await ApplicationCommunicator.receive_output(self, timeout)


def logged_in(user, *, password: str | None = None) -> Client:
    """A browser session for ``user`` (sync: call it through database_sync_to_async)."""
    client = Client()
    if password is None:
        client.force_login(user)
    else:
        assert client.login(username=user.username, password=password)
    return client


def session_cookie(client: Client) -> bytes:
    return f"sessionid={client.cookies['sessionid'].value}".encode()


class Sockets:
    """Opens websockets on ``config.asgi.application`` and disconnects them all at teardown."""

    def __init__(self):
        self.opened: list[Communicator] = []

    def open(self, path: str, *, client: Client | None = None, origin: bytes | None = ORIGIN):
        headers = []
        if origin is not None:
            headers.append((b"origin", origin))
        if client is not None:
            headers.append((b"cookie", session_cookie(client)))
        communicator = Communicator(application, path, headers=headers)
        self.opened.append(communicator)
        return communicator

    async def connect(self, path: str, **kwargs):
        """Open and connect; returns (communicator, connected, close code or subprotocol)."""
        communicator = self.open(path, **kwargs)
        connected, detail = await communicator.connect(timeout=ARRIVES)
        return communicator, connected, detail

    async def close_all(self) -> None:
        for communicator in self.opened:
            # Already closed or refused: nothing to clean.
            with contextlib.suppress(Exception):
                await communicator.disconnect(timeout=ARRIVES)


@pytest_asyncio.fixture
async def sockets(channel_layer):
    opened = Sockets()
    yield opened
    await opened.close_all()
    if channel_layer.kind != "memory":
        # This test's keys and subscriptions (its prefix only), and the connections of this
        # test's event loop.
        await channel_layer.flush()


async def closed_with(communicator: Communicator, *, timeout: float = ARRIVES):
    """The close code the server sent next (failing if it sent anything else first)."""
    message = await communicator.receive_output(timeout=timeout)
    assert message["type"] == "websocket.close", message
    return message.get("code")


def database_url_of_test_run() -> str:
    """A URL for the database this test run uses (``test_cadreflow`` or the xdist copy), for
    subprocesses that must see the same rows."""
    db = django_settings.DATABASES["default"]
    base = os.environ.get("DATABASE_URL")
    if base:
        parts = urlsplit(base)
        return urlunsplit(parts._replace(path="/" + quote(db["NAME"])))
    user = quote(db.get("USER") or "")
    password = quote(db.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else f"{user}@"
    host = quote(db.get("HOST") or "", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(db['NAME'])}"
