"""Playwright for Python driving the system Chromium (never a downloaded browser build)."""

import asyncio
import os
from pathlib import Path

import pytest

OUTPUT_DIR = Path(
    os.environ.get("CADREFLOW_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-results")
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def output_dir():
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not Path(path).exists():
        pytest.fail(f"Chromium not found at {path}: install it or set CHROMIUM_PATH")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, args=CHROMIUM_ARGS, headless=True
        )
        _playwright_loop.append(asyncio.get_running_loop())
        try:
            yield browser
        finally:
            asyncio._set_running_loop(_playwright_loop[0])
            browser.close()


# Playwright's sync API marks its event loop as *running* in the test thread after every call
# (``asyncio._set_running_loop`` in playwright/_impl/_sync_base.py) and the browser lives for
# the whole session. Tests that run after the browser tests (async consumer tests, anything using
# ``async_to_sync``) would then fail with "cannot be called from a running event loop". So the
# loop is shown to the thread during browser tests only.
_playwright_loop: list = []


@pytest.fixture(autouse=True)
def _playwright_loop_during_browser_tests_only(chromium):
    asyncio._set_running_loop(_playwright_loop[0])
    yield
    asyncio._set_running_loop(None)


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(
        locale="vi-VN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def log_in(live_server):
    """Log ``page`` in through the real login form."""

    def _log_in(page, username, password="correct-horse-battery"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.get_by_test_id("login-submit").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return _log_in


class AsgiServer:
    """uvicorn serving ``config.asgi:application`` (HTTP and websockets) in a thread."""

    def __init__(self):
        import asyncio
        import socket

        import uvicorn

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.server = uvicorn.Server(
            uvicorn.Config(
                "config.asgi:application",
                host="127.0.0.1",
                port=self.port,
                lifespan="off",
                log_level="warning",
            )
        )

    def start(self) -> None:
        import threading
        import time

        def serve():
            import asyncio

            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(self.server.serve())
            finally:
                # Closed here, in its own thread: channels_redis flushes its layer on close by
                # running this loop, which the test thread (Playwright's loop) cannot do.
                self.loop.close()

        self.thread = threading.Thread(target=serve, name="asgi-server", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def run(self, fn, *args, **kwargs):
        """Run ``fn`` the way the server runs a Django view: in a worker thread of the server's
        own event loop. What it commits is pushed through the same channel layer the open
        websockets listen on (the test thread cannot: Playwright keeps an event loop there)."""
        import asyncio

        from asgiref.sync import sync_to_async
        from django.db import connections

        def call():
            try:
                return fn(*args, **kwargs)
            finally:
                connections.close_all()

        future = asyncio.run_coroutine_threadsafe(
            sync_to_async(call, thread_sensitive=False)(), self.loop
        )
        return future.result(timeout=30)


@pytest.fixture
def asgi_server(transactional_db):
    """The real ASGI stack (channels routing, origin check, session auth) against the test
    database; pytest-django's live_server speaks WSGI only, so it cannot serve websockets."""
    from channels.layers import channel_layers

    channel_layers.backends.pop("default", None)  # a layer of this server's own
    server = AsgiServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        channel_layers.backends.pop("default", None)


@pytest.fixture
def asgi_log_in(asgi_server):
    """Log ``page`` in through the real login form served by ``asgi_server``."""

    def _log_in(page, username, password="correct-horse-battery"):
        page.goto(f"{asgi_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.get_by_test_id("login-submit").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return _log_in


@pytest.fixture
def browser_of(chromium, log_in):
    """``browser_of(user, phone=False)``: a page in a browser context of its own, logged in as
    ``user`` through the login form. Every context is closed at the end of the test."""
    from .kit import DESK, PHONE

    contexts = []

    def _open(user, *, phone: bool = False):
        context = chromium.new_context(**(PHONE if phone else DESK))
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        log_in(page, user.username)
        return page

    yield _open
    for context in contexts:
        context.close()
