"""What the browser journeys share: the window sizes, the overflow check and running a service
the way a request would (the ``browser_of`` fixture is in ``conftest``)."""

from concurrent.futures import ThreadPoolExecutor

PHONE = {
    "locale": "vi-VN",
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DESK = {"locale": "vi-VN", "viewport": {"width": 1280, "height": 900}}


def no_overflow(page) -> None:
    """Nothing on the page makes it scroll sideways."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{overflow}px of horizontal scrolling"


def off_the_page_thread(fn, *args, **kwargs):
    """Run ``fn`` in a thread of its own, the way a request would run it: Playwright keeps an
    event loop marked as running in the test thread, where the services' after-commit pushes
    (``async_to_sync``) would be refused."""
    from django.db import connections

    def call():
        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result(timeout=60)
