"""Run the grading service under uvicorn until SIGINT/SIGTERM, then finish the work in flight.

Shutdown order (uvicorn's): stop accepting connections, wait up to `shutdown_timeout_s` for the
requests in flight to be answered, then the app's lifespan closes the graders and sandboxes.
"""

from __future__ import annotations

import logging
import signal

from mceval.service.settings import ServiceSettings

_log = logging.getLogger("mceval.service")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(settings: ServiceSettings) -> None:
    """Serve until stopped (blocking)."""
    import uvicorn

    from mceval.service.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.host not in LOOPBACK and settings.token is None:
        _log.warning("listening on %s without --token: anyone who can reach it can run code in its sandboxes",
                     settings.host)
    app = create_app(settings)
    state = app.state.service
    _log.info("grading service on http://%s:%d (grader %s, %d sandboxes, max queue %d samples)", settings.host,
              settings.port, settings.grader, state.workers, settings.max_queue)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, access_log=False, log_level="info",
                            timeout_graceful_shutdown=settings.shutdown_timeout_s, log_config=None)
    # uvicorn re-raises the stop signal once its graceful shutdown is over; a no-op handler here
    # turns that into a normal return, so a finished shutdown exits 0.
    previous = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        uvicorn.Server(config).run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    _log.info("grading service stopped after answering the requests in flight")


def _stopped(signum: int, _frame: object) -> None:
    """The stop signal, delivered again after the graceful shutdown: nothing left to do."""
