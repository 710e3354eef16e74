"""The service's gate, as plain ASGI middleware: the bearer token and the request size limit.

Why plain ASGI: both checks must happen before a body is read (a 2 GB upload is refused from its
Content-Length, or as soon as a chunked body passes the limit), which a route cannot do.
Clients that cannot send headers (verl's SandboxFusion caller) may put the token in the path:
/token/TOKEN/run_code. The service turns off access logs, so the path is not written anywhere.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

_log = logging.getLogger("mceval.service")
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
OPEN_PATHS = ("/health",)  # for load balancers and probes: no secret needed


class _TooLarge(Exception):
    pass


class GuardMiddleware:
    """Refuses requests without the token (401) or over `max_bytes` (413)."""

    def __init__(self, app: Callable, token: str | None, max_bytes: int) -> None:
        self.app, self.token, self.max_bytes = app, token, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if self.token is not None:
            scope, authorised = self._authorise(scope, path)
            if not authorised:
                await _refuse(send, 401, "missing or wrong bearer token", path, {"www-authenticate": "Bearer"})
                return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _refuse(send, 413, f"request body of {int(length)} bytes exceeds the limit of {self.max_bytes}", path)
            return
        received, started = 0, False

        async def limited_receive() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise _TooLarge
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _refuse(send, 413, f"request body exceeds the limit of {self.max_bytes} bytes", path)

    def _authorise(self, scope: Scope, path: str) -> tuple[Scope, bool]:
        """(scope, allowed): a /token/TOKEN/ prefix is checked and stripped; else the header."""
        if path in OPEN_PATHS:
            return scope, True
        if path.startswith("/token/"):
            given, _, rest = path.removeprefix("/token/").partition("/")
            return {**scope, "path": "/" + rest, "raw_path": ("/" + rest).encode()}, _same(given, self.token)
        header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
        scheme, _, given = header.partition(" ")
        return scope, scheme.lower() == "bearer" and _same(given.strip(), self.token)


def _same(given: str, token: str | None) -> bool:
    return token is not None and hmac.compare_digest(given.encode(), token.encode())


async def _refuse(send: Send, status: int, message: str, path: str, headers: dict[str, str] | None = None) -> None:
    _log.warning("refused %s: HTTP %d: %s", path if not path.startswith("/token/") else "/token/…", status, message)
    body = json.dumps({"detail": message}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
