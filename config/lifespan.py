"""An ASGI lifespan that runs a procrastinate worker in the server's own event loop.

Only for the single-process demo (``make run``): the worker shares the process's in-memory
channel layer, so reminders and e-mails produced by jobs reach open browsers without Redis.
Sync tasks run in worker threads (procrastinate uses ``sync_to_async``), off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

logger = logging.getLogger("cadreflow.worker")


class WithLifespan:
    def __init__(self, app):
        self.app = app
        self._worker: asyncio.Task | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self._start()
                except Exception as exc:  # report, and let the server refuse to start
                    logger.exception("worker failed to start")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _start(self) -> None:
        from notifications.jobs import worker_app

        app = worker_app()
        await app.open_async()
        self._app = app
        self._worker = asyncio.create_task(
            app.run_worker_async(install_signal_handlers=False, name="in-process")
        )
        logger.info("in-process job worker started")

    async def _stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._worker
            await self._app.close_async()
